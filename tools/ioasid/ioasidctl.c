// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl: what ioasid holds, as tables or as JSON.
 *
 *   ioasidctl [--json] groups          IOMMU groups, their devices, owners
 *   ioasidctl [--json] contexts        every context (root: debugfs)
 *   ioasidctl [--json] context PID[:FD]  the contexts PID holds, through
 *                                      their own state query
 *   ioasidctl [--json] counters        the module's counters
 *
 * "contexts" reads debugfs ioasid/contexts (see drivers/iommu/ioasid/
 * debugfs.c for its format) and finds the processes holding each context
 * through the "ioasid-context" line of their files' fdinfo.  "context"
 * takes a duplicate of the process's /dev/ioasid file with pidfd_getfd(2)
 * and asks the context itself (IOASID_OBJECTS, IOASID_IOAS_MAPPINGS,
 * IOASID_IOAS_FEATURES), as a process taking the context over would.
 */
#include <ctype.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ioasid_utils.h"

#define CONTEXTS_FILE "/sys/kernel/debug/ioasid/contexts"
#define COUNTERS_FILE "/sys/kernel/debug/ioasid/counters"
#define GROUPS_DIR "/sys/kernel/iommu_groups"

struct mapping {
	unsigned long long iova, length, pages, va, ino, offset;
	unsigned int dev;
	bool readable, writeable, file, invalid;
};

struct pasid {
	unsigned int pasid, ioas, hwpt;
	bool process;
};

struct device {
	unsigned int id, ioas, hwpt;
	int group;
	char name[64];
	struct pasid *pasids;
	size_t npasids;
};

struct ioas {
	unsigned int id, dirty, nesting, min_pasid_log2;
	bool enabled, known_features;
	unsigned long long caps, max_page_size;
	struct mapping *maps;
	size_t nmaps;
};

struct hwpt {
	unsigned int id, ioas, format, fault;
};

struct account {
	unsigned int uid;
	unsigned long long charged, sets;
	bool retired;
};

struct holder {
	int pid, fd;
};

/* A context as debugfs or its own state query tells it. */
struct context {
	unsigned long long serial;
	int pid, owner;
	unsigned int uid;
	long mappings;
	char comm[32];
	bool from_debugfs;
	struct ioas *ioases;
	size_t nioases;
	struct device *devices;
	size_t ndevices;
	struct hwpt *hwpts;
	size_t nhwpts;
	unsigned int *faults;
	size_t nfaults;
	struct account *accounts;
	size_t naccounts;
	struct holder *holders;
	size_t nholders;
};

static bool json;

/*
 * Grow the array at *@arrp, of *@n elements of @size bytes, by one, zeroed,
 * and return it; exits when out of memory.
 */
static void *append(void *arrp, size_t size, size_t *n)
{
	void **arr = arrp;

	*arr = realloc(*arr, size * (*n + 1));
	if (!*arr) {
		fprintf(stderr, "ioasidctl: out of memory\n");
		exit(1);
	}
	memset((char *)*arr + size * *n, 0, size);
	return (char *)*arr + size * (*n)++;
}

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ioasidctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* A JSON string: quoted, with what JSON cannot hold raw escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *access_of(bool r, bool w)
{
	return r && w ? "rw" : r ? "r" : w ? "w" : "-";
}

/* The value after @key among the words of @line, or NULL. */
static const char *word_after(char *const *words, int n, const char *key)
{
	int i;

	for (i = 0; i + 1 < n; i++)
		if (!strcmp(words[i], key))
			return words[i + 1];
	return NULL;
}

static unsigned long long num_after(char *const *words, int n, const char *key)
{
	const char *v = word_after(words, n, key);

	return v ? strtoull(v, NULL, 0) : 0;
}

static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *tok;

	for (tok = strtok(line, " \t\n"); tok && n < max; tok = strtok(NULL, " \t\n"))
		words[n++] = tok;
	return n;
}

/* One "mapping" line of debugfs: its two numbers come before the keys. */
static void parse_mapping(struct ioas *ioas, char **w, int n)
{
	const char *access = word_after(w, n, "access");
	struct mapping *m;

	m = append(&ioas->maps, sizeof(*m), &ioas->nmaps);

	m->iova = strtoull(w[1], NULL, 0);
	m->length = strtoull(w[2], NULL, 0);
	m->pages = num_after(w, n, "pages");
	m->readable = access && strchr(access, 'r');
	m->writeable = access && strchr(access, 'w');
	if (word_after(w, n, "file")) {
		m->file = true;
		m->dev = num_after(w, n, "file");
		m->ino = strtoull(w[n - 3], NULL, 0);
		m->offset = num_after(w, n, "offset");
	} else {
		m->va = num_after(w, n, "va");
		m->invalid = !strcmp(w[n - 1], "invalid");
	}
}

static void add_fault(struct context *c, unsigned int id)
{
	unsigned int *fault = append(&c->faults, sizeof(*fault), &c->nfaults);

	*fault = id;
}

static void parse_context_line(struct context *c, char **w, int n,
			       const char *comm)
{
	c->serial = strtoull(w[1], NULL, 0);
	c->pid = num_after(w, n, "pid");
	c->uid = num_after(w, n, "uid");
	c->owner = num_after(w, n, "owner");
	c->mappings = num_after(w, n, "mappings");
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	c->from_debugfs = true;
}

/* Parse debugfs ioasid/contexts; returns the number of contexts, or -1. */
static int read_contexts(struct context **out)
{
	struct context *c = NULL, *all = NULL;
	struct device *dev = NULL;
	struct ioas *ioas = NULL;
	char line[512], *w[24], *comm;
	size_t nall = 0;
	FILE *in;
	int n;

	in = fopen(CONTEXTS_FILE, "r");
	if (!in)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		/* A context's comm is the rest of its line, spaces and all. */
		comm = strstr(line, " comm ");
		if (comm && !strncmp(line, "context ", 8)) {
			*comm = 0;
			comm += strlen(" comm ");
		}
		n = split_words(line, w, 24);
		if (n < 2)
			continue;
		if (!strcmp(w[0], "context")) {
			c = append(&all, sizeof(*c), &nall);
			parse_context_line(c, w, n, comm ?: "");
			ioas = NULL;
			dev = NULL;
		} else if (!c) {
			continue;
		} else if (!strcmp(w[0], "ioas")) {
			ioas = append(&c->ioases, sizeof(*ioas), &c->nioases);
			ioas->id = strtoul(w[1], NULL, 0);
			ioas->enabled = num_after(w, n, "enabled");
			ioas->dirty = num_after(w, n, "dirty");
			ioas->known_features = true;
		} else if (!strcmp(w[0], "features") && ioas) {
			ioas->caps = num_after(w, n, "caps");
			ioas->nesting = num_after(w, n, "nesting");
			ioas->max_page_size = num_after(w, n, "max_page_size");
			ioas->min_pasid_log2 = num_after(w, n, "min_pasid_log2");
		} else if (!strcmp(w[0], "mapping") && ioas && n >= 3) {
			parse_mapping(ioas, w, n);
		} else if (!strcmp(w[0], "device")) {
			dev = append(&c->devices, sizeof(*dev), &c->ndevices);
			dev->id = strtoul(w[1], NULL, 0);
			snprintf(dev->name, sizeof(dev->name), "%s",
				 word_after(w, n, "name") ?: "");
			dev->group = (int)strtol(word_after(w, n, "group") ?: "-1",
						 NULL, 0);
			dev->ioas = num_after(w, n, "ioas");
			dev->hwpt = num_after(w, n, "hwpt");
		} else if (!strcmp(w[0], "pasid") && dev) {
			struct pasid *p;

			p = append(&dev->pasids, sizeof(*p), &dev->npasids);

			p->pasid = strtoul(w[1], NULL, 0);
			p->process = !strcmp(w[n - 1], "process");
			p->ioas = num_after(w, n, "ioas");
			p->hwpt = num_after(w, n, "hwpt");
		} else if (!strcmp(w[0], "hwpt")) {
			struct hwpt *h;

			h = append(&c->hwpts, sizeof(*h), &c->nhwpts);

			h->id = strtoul(w[1], NULL, 0);
			h->ioas = num_after(w, n, "ioas");
			h->format = num_after(w, n, "format");
			h->fault = num_after(w, n, "fault");
		} else if (!strcmp(w[0], "fault")) {
			add_fault(c, strtoul(w[1], NULL, 0));
		} else if (!strcmp(w[0], "account")) {
			struct account *a;

			a = append(&c->accounts, sizeof(*a), &c->naccounts);
			a->uid = num_after(w, n, "uid");
			a->charged = num_after(w, n, "charged");
			a->sets = num_after(w, n, "sets");
			a->retired = num_after(w, n, "retired");
		}
	}
	if (ferror(in)) {
		fclose(in);
		return -1;
	}
	fclose(in);
	*out = all;
	return nall;
}

/*
 * The files of process @pid that are contexts, as holders (pid and fd) in
 * *@holders and context numbers in *@serials; returns how many.
 */
static size_t context_fds(int pid, struct holder **holders,
			  unsigned long long **serials)
{
	unsigned long long serial, *slot;
	struct holder *holder;
	struct dirent *de;
	size_t n = 0, m;
	char path[64];
	DIR *dir;

	*holders = NULL;
	*serials = NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		serial = ioasid_fd_context(pid, atoi(de->d_name));
		if (!serial)
			continue;
		m = n;
		slot = append(serials, sizeof(*slot), &m);
		*slot = serial;
		holder = append(holders, sizeof(*holder), &n);
		holder->pid = pid;
		holder->fd = atoi(de->d_name);
	}
	closedir(dir);
	return n;
}

/* Add holder @h of context @serial to it, among @all. */
static void add_holder(struct context *all, int n, unsigned long long serial,
		       const struct holder *h)
{
	struct holder *holder;
	int i;

	for (i = 0; i < n; i++) {
		if (all[i].serial != serial)
			continue;
		holder = append(&all[i].holders, sizeof(*holder),
				&all[i].nholders);
		*holder = *h;
	}
}

/* Who holds each context: every process with a file of it. */
static void find_holders(struct context *all, int n)
{
	unsigned long long *serials;
	struct holder *holders;
	struct dirent *de;
	size_t i, nfds;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		nfds = context_fds(atoi(de->d_name), &holders, &serials);
		for (i = 0; i < nfds; i++)
			add_holder(all, n, serials[i], &holders[i]);
		free(holders);
		free(serials);
	}
	closedir(proc);
}

static void print_caps(unsigned long long caps)
{
	static const char * const names[] = {
		"paging", "coherent", "enforce-coherent", "isolated-msi",
		"dirty-tracking", "sva",
	};
	bool first = true;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		if (!(caps & (1ULL << i)))
			continue;
		if (i < ARRAY_SIZE(names))
			printf("%s%s", first ? "" : ",", names[i]);
		else
			printf("%sbit%u", first ? "" : ",", i);
		first = false;
	}
	if (first)
		printf("none");
}

static void table_mappings(const struct ioas *ioas)
{
	const struct mapping *m;
	size_t i;

	if (!ioas->nmaps)
		return;
	printf("      %-18s  %-12s  %8s  %-6s  %s\n", "IOVA", "LENGTH", "PAGES",
	       "ACCESS", "BACKING");
	for (i = 0; i < ioas->nmaps; i++) {
		m = &ioas->maps[i];
		printf("      0x%016llx  0x%-10llx  %8llu  %-6s  ", m->iova,
		       m->length, m->pages, access_of(m->readable, m->writeable));
		if (m->file)
			printf("file dev %u:%u ino %llu offset 0x%llx\n",
			       major(m->dev), minor(m->dev), m->ino, m->offset);
		else
			printf("va 0x%llx%s\n", m->va,
			       m->invalid ? " (invalidated)" : "");
	}
}

static void table_ioas(const struct ioas *ioas)
{
	static const char * const dirty[] = { "off", "hardware", "software" };

	printf("  IOAS %u  %zu mapping%s", ioas->id, ioas->nmaps,
	       ioas->nmaps == 1 ? "" : "s");
	if (ioas->known_features) {
		printf("  dirty tracking %s",
		       ioas->dirty < 3 ? dirty[ioas->dirty] : "?");
		printf("  %s", ioas->enabled ? "enabled: " : "not enabled");
	} else {
		printf("  %s", ioas->enabled ? "enabled: " : "not enabled");
	}
	if (ioas->enabled) {
		printf("caps ");
		print_caps(ioas->caps);
		printf(", nesting %u, max page 0x%llx, pasid bits %u",
		       ioas->nesting, ioas->max_page_size, ioas->min_pasid_log2);
	}
	putchar('\n');
	table_mappings(ioas);
}

static void table_device(const struct device *d)
{
	size_t i;

	printf("  DEVICE %u  %s", d->id, d->name[0] ? d->name : "-");
	if (d->group >= 0)
		printf("  group %d", d->group);
	if (d->hwpt)
		printf("  -> HWPT %u on IOAS %u\n", d->hwpt, d->ioas);
	else if (d->ioas)
		printf("  -> IOAS %u\n", d->ioas);
	else
		printf("  detached\n");
	for (i = 0; i < d->npasids; i++) {
		if (d->pasids[i].process)
			printf("      PASID %u  -> a process (SVA)\n",
			       d->pasids[i].pasid);
		else if (d->pasids[i].hwpt)
			printf("      PASID %u  -> HWPT %u on IOAS %u\n",
			       d->pasids[i].pasid, d->pasids[i].hwpt,
			       d->pasids[i].ioas);
		else
			printf("      PASID %u  -> IOAS %u\n", d->pasids[i].pasid,
			       d->pasids[i].ioas);
	}
}

static void table_context(const struct context *c)
{
	size_t i;

	printf("CONTEXT %llu", c->serial);
	if (c->from_debugfs) {
		printf("  opened by pid %d (%s) uid %u", c->pid, c->comm, c->uid);
		if (c->owner)
			printf("  owner pid %d", c->owner);
	}
	printf("  held by");
	for (i = 0; i < c->nholders; i++)
		printf(" %d:fd%d", c->holders[i].pid, c->holders[i].fd);
	printf("%s\n", c->nholders ? "" : " none (a kernel user's)");
	for (i = 0; i < c->nioases; i++)
		table_ioas(&c->ioases[i]);
	for (i = 0; i < c->ndevices; i++)
		table_device(&c->devices[i]);
	for (i = 0; i < c->nhwpts; i++) {
		printf("  HWPT %u  on IOAS %u", c->hwpts[i].id, c->hwpts[i].ioas);
		if (c->from_debugfs)
			printf("  format %u", c->hwpts[i].format);
		if (c->hwpts[i].fault)
			printf("  faults to FAULT %u", c->hwpts[i].fault);
		putchar('\n');
	}
	for (i = 0; i < c->nfaults; i++)
		printf("  FAULT %u\n", c->faults[i]);
	for (i = 0; i < c->naccounts; i++)
		printf("  CHARGED to uid %u: %llu pages, for %llu map%s%s\n",
		       c->accounts[i].uid, c->accounts[i].charged,
		       c->accounts[i].sets, c->accounts[i].sets == 1 ? "" : "s",
		       c->accounts[i].retired ? " (retired by a takeover)" : "");
}

static void json_mapping(const struct mapping *m)
{
	printf("{\"iova\":\"0x%llx\",\"length\":\"0x%llx\",\"pages\":%llu,",
	       m->iova, m->length, m->pages);
	printf("\"access\":\"%s\",", access_of(m->readable, m->writeable));
	if (m->file)
		printf("\"backing\":\"file\",\"dev\":%u,\"ino\":%llu,\"offset\":\"0x%llx\"}",
		       m->dev, m->ino, m->offset);
	else
		printf("\"backing\":\"va\",\"va\":\"0x%llx\",\"invalid\":%s}",
		       m->va, m->invalid ? "true" : "false");
}

static void json_ioas(const struct ioas *ioas)
{
	size_t i;

	printf("{\"id\":%u,\"enabled\":%s,", ioas->id,
	       ioas->enabled ? "true" : "false");
	if (ioas->known_features)
		printf("\"dirty\":%u,", ioas->dirty);
	if (ioas->enabled) {
		printf("\"features\":{\"caps\":\"0x%llx\",\"nesting_format\":%u,",
		       ioas->caps, ioas->nesting);
		printf("\"max_page_size\":\"0x%llx\",\"min_pasid_log2\":%u},",
		       ioas->max_page_size, ioas->min_pasid_log2);
	}
	printf("\"mappings\":[");
	for (i = 0; i < ioas->nmaps; i++) {
		printf(i ? "," : "");
		json_mapping(&ioas->maps[i]);
	}
	printf("]}");
}

/*
 * A device; the state query tells only its id and the IOAS it is attached
 * to, debugfs (@full) tells the rest.
 */
static void json_device(const struct device *d, bool full)
{
	size_t i;

	printf("{\"id\":%u,\"ioas\":%u", d->id, d->ioas);
	if (!full) {
		printf("}");
		return;
	}
	printf(",\"name\":");
	json_str(d->name);
	printf(",\"group\":%d,\"hwpt\":%u,\"pasids\":[", d->group, d->hwpt);
	for (i = 0; i < d->npasids; i++)
		printf("%s{\"pasid\":%u,\"process\":%s,\"ioas\":%u,\"hwpt\":%u}",
		       i ? "," : "", d->pasids[i].pasid,
		       d->pasids[i].process ? "true" : "false",
		       d->pasids[i].ioas, d->pasids[i].hwpt);
	printf("]}");
}

static void json_context(const struct context *c)
{
	size_t i;

	printf("{\"context\":%llu,", c->serial);
	if (c->from_debugfs) {
		printf("\"pid\":%d,\"uid\":%u,\"comm\":", c->pid, c->uid);
		json_str(c->comm);
		printf(",\"owner\":%d,", c->owner);
	}
	printf("\"holders\":[");
	for (i = 0; i < c->nholders; i++)
		printf("%s{\"pid\":%d,\"fd\":%d}", i ? "," : "",
		       c->holders[i].pid, c->holders[i].fd);
	printf("],\"ioas\":[");
	for (i = 0; i < c->nioases; i++) {
		printf(i ? "," : "");
		json_ioas(&c->ioases[i]);
	}
	printf("],\"devices\":[");
	for (i = 0; i < c->ndevices; i++) {
		printf(i ? "," : "");
		json_device(&c->devices[i], c->from_debugfs);
	}
	printf("],\"hwpts\":[");
	for (i = 0; i < c->nhwpts; i++) {
		printf("%s{\"id\":%u,\"ioas\":%u", i ? "," : "",
		       c->hwpts[i].id, c->hwpts[i].ioas);
		if (c->from_debugfs)
			printf(",\"format\":%u,\"fault\":%u", c->hwpts[i].format,
			       c->hwpts[i].fault);
		printf("}");
	}
	printf("],\"faults\":[");
	for (i = 0; i < c->nfaults; i++)
		printf("%s%u", i ? "," : "", c->faults[i]);
	printf("]");
	if (c->from_debugfs) {
		printf(",\"accounts\":[");
		for (i = 0; i < c->naccounts; i++)
			printf("%s{\"uid\":%u,\"charged\":%llu,\"sets\":%llu,\"retired\":%s}",
			       i ? "," : "", c->accounts[i].uid,
			       c->accounts[i].charged, c->accounts[i].sets,
			       c->accounts[i].retired ? "true" : "false");
		printf("]");
	}
	printf("}");
}

static void print_contexts(const struct context *all, int n)
{
	int i;

	if (json) {
		printf("{\"contexts\":[");
		for (i = 0; i < n; i++) {
			printf(i ? "," : "");
			json_context(&all[i]);
		}
		printf("]}\n");
		return;
	}
	if (!n)
		printf("no context\n");
	for (i = 0; i < n; i++)
		table_context(&all[i]);
}

static int cmd_contexts(void)
{
	struct context *all;
	int n;

	n = read_contexts(&all);
	if (n < 0)
		return fail("%s: %s (root only, with debugfs mounted and ioasid loaded)",
			    CONTEXTS_FILE, strerror(errno));
	find_holders(all, n);
	print_contexts(all, n);
	return 0;
}

/* The mappings of IOAS @ioas of the context at @fd, by its state query. */
static int query_mappings(int fd, struct ioas *ioas)
{
	struct ioasid_mapping batch[64];
	struct ioasid_ioas_mappings cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas->id,
		.mappings = (unsigned long)batch,
	};
	struct mapping *m;
	unsigned int i;

	do {
		cmd.num_mappings = 64;
		if (ioctl(fd, IOASID_IOAS_MAPPINGS, &cmd))
			return -1;
		for (i = 0; i < cmd.num_mappings; i++) {
			m = append(&ioas->maps, sizeof(*m), &ioas->nmaps);
			m->iova = batch[i].iova;
			m->length = batch[i].length;
			m->readable = batch[i].flags & IOASID_MAPPING_READABLE;
			m->writeable = batch[i].flags & IOASID_MAPPING_WRITEABLE;
			m->invalid = batch[i].flags & IOASID_MAPPING_UADDR_INVALID;
			m->file = batch[i].flags & IOASID_MAPPING_FILE;
			m->dev = batch[i].file_dev;
			m->ino = batch[i].file_ino;
			m->offset = batch[i].file_offset;
			m->va = batch[i].user_va;
			m->pages = ((m->file ? m->offset : m->va) + m->length - 1) /
				   getpagesize() -
				   (m->file ? m->offset : m->va) / getpagesize() + 1;
		}
		cmd.start_iova = cmd.out_next_iova;
	} while (cmd.num_mappings == 64 && cmd.out_next_iova);
	return 0;
}

static int query_features(int fd, struct ioas *ioas)
{
	struct ioasid_features f = {};
	struct ioasid_ioas_features cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas->id,
		.features_len = sizeof(f),
		.features = (unsigned long)&f,
	};

	if (ioctl(fd, IOASID_IOAS_FEATURES, &cmd))
		return errno == ENODATA ? 0 : -1;
	ioas->enabled = true;
	ioas->caps = le64toh(f.caps);
	ioas->nesting = le32toh(f.nesting_format);
	ioas->max_page_size = le64toh(f.max_page_size);
	ioas->min_pasid_log2 = le32toh(f.min_pasid_log2);
	return 0;
}

static int query_object(int fd, struct context *c,
			const struct ioasid_object_entry *e)
{
	struct device *d;
	struct ioas *ioas;
	struct hwpt *h;

	switch (e->kind) {
	case IOASID_OBJECT_IOAS:
		ioas = append(&c->ioases, sizeof(*ioas), &c->nioases);
		ioas->id = e->id;
		return query_features(fd, ioas) ?: query_mappings(fd, ioas);
	case IOASID_OBJECT_DEVICE:
		d = append(&c->devices, sizeof(*d), &c->ndevices);
		d->id = e->id;
		d->group = -1;
		d->ioas = e->attached_ioas_id;
		return 0;
	case IOASID_OBJECT_HWPT:
		h = append(&c->hwpts, sizeof(*h), &c->nhwpts);
		h->id = e->id;
		h->ioas = e->attached_ioas_id;
		return 0;
	case IOASID_OBJECT_FAULT:
		add_fault(c, e->id);
		return 0;
	}
	return 0;
}

/* Describe the context at @fd by its own state query. */
static int query_context(int fd, struct context *c)
{
	struct ioasid_object_entry batch[64];
	struct ioasid_objects cmd = {
		.size = sizeof(cmd),
		.objects = (unsigned long)batch,
	};
	unsigned int i;

	do {
		cmd.num_objects = 64;
		if (ioctl(fd, IOASID_OBJECTS, &cmd))
			return -1;
		for (i = 0; i < cmd.num_objects; i++)
			if (query_object(fd, c, &batch[i]))
				return -1;
		cmd.start_id = cmd.out_next_id;
	} while (cmd.num_objects == 64);
	return 0;
}

/* Add to *@all the context of holder @h, by its own state query. */
static int query_held(int pidfd, const struct holder *h,
		      unsigned long long serial, struct context **all,
		      size_t *n)
{
	struct context *c;
	struct holder *holder;
	int dup, rc = 0;

	dup = syscall(SYS_pidfd_getfd, pidfd, h->fd, 0);
	if (dup < 0)
		return fail("pidfd_getfd(%d, %d): %s", h->pid, h->fd,
			    strerror(errno));
	/* The process may have put another file at that number meanwhile. */
	if (ioasid_fd_context(getpid(), dup) != serial) {
		close(dup);
		return fail("%d:fd%d changed while it was read", h->pid, h->fd);
	}
	c = append(all, sizeof(*c), n);
	c->serial = serial;
	holder = append(&c->holders, sizeof(*holder), &c->nholders);
	*holder = *h;
	if (query_context(dup, c))
		rc = fail("the state query of %d:fd%d: %s", h->pid, h->fd,
			  strerror(errno));
	close(dup);
	return rc;
}

static int cmd_context(const char *arg)
{
	unsigned long long *serials;
	struct context *all = NULL;
	struct holder *holders;
	size_t i, nfds, n = 0;
	int pidfd, errors = 0;
	long pid, fd = -1;
	char *end;

	if (!isdigit((unsigned char)*arg))
		return fail("not PID[:FD]: %s", arg) + 1;
	pid = strtol(arg, &end, 10);
	if (*end == ':') {
		if (!isdigit((unsigned char)end[1]))
			return fail("not PID[:FD]: %s", arg) + 1;
		fd = strtol(end + 1, &end, 10);
	}
	if (*end || pid <= 0 || pid > INT_MAX || fd > INT_MAX)
		return fail("not PID[:FD]: %s", arg) + 1;
	pidfd = syscall(SYS_pidfd_open, (int)pid, 0);
	if (pidfd < 0)
		return fail("pidfd_open(%ld): %s", pid, strerror(errno));
	nfds = context_fds(pid, &holders, &serials);
	for (i = 0; i < nfds; i++)
		if (fd < 0 || holders[i].fd == fd)
			errors += query_held(pidfd, &holders[i], serials[i],
					     &all, &n);
	close(pidfd);
	if (!n && !errors)
		return fail("process %ld holds no ioasid context%s", pid,
			    fd >= 0 ? " at that fd" : "");
	print_contexts(all, n);
	return errors ? 1 : 0;
}

static const char *link_name(const char *path, char *buf, size_t size)
{
	ssize_t len = readlink(path, buf, size - 1);
	char *slash;

	if (len < 0)
		return NULL;
	buf[len] = 0;
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

/* The context a device is bound to, per debugfs; 0 when none or unknown. */
static unsigned long long device_context(const struct context *all, int n,
					 const char *name)
{
	size_t j;
	int i;

	for (i = 0; i < n; i++)
		for (j = 0; j < all[i].ndevices; j++)
			if (!strcmp(all[i].devices[j].name, name))
				return all[i].serial;
	return 0;
}

static const char *owner_kind(const char *driver)
{
	if (!driver)
		return "none";
	if (!strcmp(driver, "ioasid_pci"))
		return "ioasid";
	if (!strcmp(driver, "vfio-pci"))
		return "vfio";
	return "kernel";
}

static void print_group_device(int group, const char *type, const char *dev,
			       const struct context *all, int n, bool *first)
{
	char path[PATH_MAX], buf[PATH_MAX];
	unsigned long long ctx;
	const char *driver;

	snprintf(path, sizeof(path), GROUPS_DIR "/%d/devices/%s/driver", group,
		 dev);
	driver = link_name(path, buf, sizeof(buf));
	ctx = device_context(all, n, dev);
	if (json) {
		printf("%s{\"group\":%d,\"type\":", *first ? "" : ",", group);
		json_str(type);
		printf(",\"device\":");
		json_str(dev);
		printf(",\"driver\":");
		json_str(driver ?: "");
		printf(",\"owner\":\"%s\",\"context\":%llu}", owner_kind(driver),
		       ctx);
	} else {
		printf("%-6d %-10s %-16s %-16s %-7s", group, type, dev,
		       driver ?: "-", owner_kind(driver));
		printf(ctx ? " %llu\n" : " -\n", ctx);
	}
	*first = false;
}

static void print_group(int group, const struct context *all, int n,
			bool *first)
{
	char path[PATH_MAX], type[32] = "";
	struct dirent **devs;
	int i, ndevs;
	FILE *in;

	snprintf(path, sizeof(path), GROUPS_DIR "/%d/type", group);
	in = fopen(path, "r");
	if (in) {
		if (fscanf(in, "%31s", type) != 1)
			type[0] = 0;
		fclose(in);
	}
	snprintf(path, sizeof(path), GROUPS_DIR "/%d/devices", group);
	ndevs = scandir(path, &devs, NULL, alphasort);
	for (i = 0; i < ndevs; i++) {
		if (devs[i]->d_name[0] != '.')
			print_group_device(group, type, devs[i]->d_name, all, n,
					   first);
		free(devs[i]);
	}
	if (ndevs >= 0)
		free(devs);
}

static int by_number(const struct dirent **a, const struct dirent **b)
{
	return atoi((*a)->d_name) - atoi((*b)->d_name);
}

static int cmd_groups(void)
{
	struct context *all = NULL;
	struct dirent **groups;
	bool first = true;
	int i, n, ngroups;

	ngroups = scandir(GROUPS_DIR, &groups, NULL, by_number);
	if (ngroups < 0)
		return fail("%s: %s", GROUPS_DIR, strerror(errno));
	/* Which context holds a device needs debugfs; without it, say none. */
	n = read_contexts(&all);
	if (n < 0)
		n = 0;
	if (json)
		printf("{\"groups\":[");
	else
		printf("%-6s %-10s %-16s %-16s %-7s %s\n", "GROUP", "TYPE",
		       "DEVICE", "DRIVER", "OWNER", "CONTEXT");
	for (i = 0; i < ngroups; i++) {
		if (groups[i]->d_name[0] != '.')
			print_group(atoi(groups[i]->d_name), all, n, &first);
		free(groups[i]);
	}
	free(groups);
	if (json)
		printf("]}\n");
	return 0;
}

static int cmd_counters(void)
{
	char name[64];
	bool first = true;
	long value;
	FILE *in;

	in = fopen(COUNTERS_FILE, "r");
	if (!in)
		return fail("%s: %s (root only, with debugfs mounted and ioasid loaded)",
			    COUNTERS_FILE, strerror(errno));
	if (json)
		printf("{");
	while (fscanf(in, "%63s %ld", name, &value) == 2) {
		if (json)
			printf("%s\"%s\":%ld", first ? "" : ",", name, value);
		else
			printf("%-16s %ld\n", name, value);
		first = false;
	}
	if (json)
		printf("}\n");
	fclose(in);
	return 0;
}

static int help(FILE *out, int status)
{
	fprintf(out,
		"usage: ioasidctl [--json] groups\n"
		"       ioasidctl [--json] contexts\n"
		"       ioasidctl [--json] context PID[:FD]\n"
		"       ioasidctl [--json] counters\n"
		"\n"
		"  groups     IOMMU groups, their devices and who owns each\n"
		"  contexts   every context, from debugfs (root)\n"
		"  context    the contexts process PID holds, through their state query\n"
		"  counters   the module's counters, from debugfs (root)\n"
		"  --json     one JSON document instead of tables\n");
	return status;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return help(stdout, 0);
		if (strcmp(argv[i], "--json"))
			return help(stderr, 2);
		json = true;
	}
	if (argc - i == 1 && !strcmp(argv[i], "groups"))
		return cmd_groups();
	if (argc - i == 1 && !strcmp(argv[i], "contexts"))
		return cmd_contexts();
	if (argc - i == 2 && !strcmp(argv[i], "context"))
		return cmd_context(argv[i + 1]);
	if (argc - i == 1 && !strcmp(argv[i], "counters"))
		return cmd_counters();
	return help(stderr, 2);
}
