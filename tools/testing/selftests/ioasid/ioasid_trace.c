// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints of ioasid (events/ioasid/ in tracefs): each command is
 * driven on mock devices and its event looked for in the trace buffer,
 * with the fields the command was given and answered, and the errno of a
 * command that failed.  tracefs is mounted at /sys/kernel/tracing if it is
 * not there yet.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_mock_utils.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define NPAGES 8
#define IOVA(n) (0x100000ULL * (n))
/* The stage-2 address of the mock stage-1 tables. */
#define GPA_TABLES IOVA(64)
#define NTABLES 4
#define FAULT_ADDR ((3ULL << 30) + (5ULL << 21) + (7ULL << 12) + 0x100)
#define PASID 3

/* For the formats: __u64 is not unsigned long long everywhere. */
#define ULL(x) ((unsigned long long)(x))
#define VA(p) ULL((uintptr_t)(p))

static size_t page;
static const char *tracing;

/* Write @val to the tracefs file @name; returns 0 or -errno. */
static int trace_write(const char *name, const char *val)
{
	char path[256];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", tracing, name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static bool tracefs_at(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/trace", dir);
	if (access(path, F_OK))
		return false;
	tracing = dir;
	return true;
}

/*
 * Find tracefs, mounting it if need be, and the events of ioasid; returns
 * why they cannot be tested, or NULL.
 */
static const char *trace_open(void)
{
	char path[256];

	if (!tracefs_at(TRACEFS) &&
	    (mount("tracefs", TRACEFS, "tracefs", 0, NULL) ||
	     !tracefs_at(TRACEFS)) && !tracefs_at(DEBUGFS_TRACING))
		return "no tracefs: no CONFIG_TRACING, or it could not be mounted";
	snprintf(path, sizeof(path), "%s/events/ioasid/enable", tracing);
	if (access(path, W_OK))
		return "no events/ioasid: no CONFIG_EVENT_TRACING, or an old ioasid.ko";
	return NULL;
}

/* The trace buffer as text, NUL-terminated; free() it. */
static char *trace_read(void)
{
	size_t size = 1 << 16, len = 0;
	char path[256], *buf, *more;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", tracing);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	buf = malloc(size);
	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (size - len < 4096) {
			size *= 2;
			more = realloc(buf, size);
			if (!more)
				goto fail;
			buf = more;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0)
			goto fail;
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;

fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * Is there an event @event whose fields are exactly @fmt, formatted?  The
 * line looked for is logged when there is none.
 */
static __printf(3, 4) bool traced(struct __test_metadata *_metadata,
				   const char *event, const char *fmt, ...)
{
	char needle[512], *text;
	bool found;
	va_list ap;
	int n;

	n = snprintf(needle, sizeof(needle), " %s: ", event);
	va_start(ap, fmt);
	vsnprintf(needle + n, sizeof(needle) - n, fmt, ap);
	va_end(ap);
	strcat(needle, "\n");
	text = trace_read();
	found = text && strstr(text, needle);
	if (!found)
		TH_LOG("not traced:%s", needle);
	free(text);
	return found;
}

/* A mock context with an IOAS, memory to map, and ioasid's events on. */
FIXTURE(trace) {
	struct mock_ctx ctx;
	char *buf;
	bool tracing;
};

FIXTURE_SETUP(trace)
{
	const char *why;

	page = getpagesize();
	self->ctx.fd = -1;
	why = trace_open();
	if (why)
		SKIP(return, "%s", why);
	why = mock_open(&self->ctx);
	if (why)
		SKIP(return, "%s", why);
	ASSERT_LE(0, self->ctx.fd);
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &self->ctx.ioas_id));
	self->buf = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, NPAGES * page);
	ASSERT_EQ(0, trace_write("events/ioasid/enable", "1"));
	self->tracing = true;
	ASSERT_EQ(0, trace_write("trace", ""));
	ASSERT_EQ(0, trace_write("tracing_on", "1"));
}

FIXTURE_TEARDOWN(trace)
{
	if (self->tracing)
		trace_write("events/ioasid/enable", "0");
	ASSERT_TRUE(mock_close(&self->ctx));
}

/* MAP, MAP_FILE, COPY, UNMAP and the batches, done and refused. */
TEST_F(trace, map_and_unmap)
{
	int fd = self->ctx.fd, memfd;
	__u32 ioas = self->ctx.ioas_id, ioas2, failed;
	struct ioasid_batch_range ranges[2] = {
		{ .flags = MAP_RW, .user_va = (uintptr_t)self->buf,
		  .length = page, .iova = IOVA(4) },
		{ .flags = MAP_RW, .user_va = (uintptr_t)self->buf + page,
		  .length = page, .iova = IOVA(5) },
	};
	__u64 iova = IOVA(1), chosen = 0, dst = IOVA(2), unmapped;

	ASSERT_EQ(0, ioas_map(fd, ioas, self->buf, 2 * page, &iova,
			      MAP_FIXED_RW));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_map",
			   "ioas=%u iova=0x%llx length=0x%llx uaddr=0x%llx flags=0x%x rc=0",
			   ioas, IOVA(1), ULL(2 * page), VA(self->buf),
			   MAP_FIXED_RW));
	ASSERT_EQ(-EEXIST, ioas_map(fd, ioas, self->buf, page, &iova,
				    MAP_FIXED_RW));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_map",
			   "ioas=%u iova=0x%llx length=0x%llx uaddr=0x%llx flags=0x%x rc=%d",
			   ioas, IOVA(1), ULL(page), VA(self->buf),
			   MAP_FIXED_RW, -EEXIST));

	ASSERT_EQ(0, ioas_alloc(fd, &ioas2));
	ASSERT_EQ(0, ioas_copy(fd, ioas2, ioas, 2 * page, &dst, IOVA(1),
			       MAP_FIXED_RW));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_copy",
			   "dst_ioas=%u dst_iova=0x%llx src_ioas=%u src_iova=0x%llx length=0x%llx flags=0x%x rc=0",
			   ioas2, IOVA(2), ioas, IOVA(1), ULL(2 * page),
			   MAP_FIXED_RW));
	dst = IOVA(3);
	ASSERT_EQ(-ENOENT, ioas_copy(fd, ioas2, ioas, page, &dst, IOVA(9),
				     MAP_FIXED_RW));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_copy",
			   "dst_ioas=%u dst_iova=0x%llx src_ioas=%u src_iova=0x%llx length=0x%llx flags=0x%x rc=%d",
			   ioas2, IOVA(3), ioas, IOVA(9), ULL(page),
			   MAP_FIXED_RW, -ENOENT));

	memfd = memfd_create("ioasid-trace", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 2 * page));
	iova = IOVA(3);
	ASSERT_EQ(0, ioas_map_file(fd, ioas, memfd, page, page, &iova,
				   MAP_FIXED_RW));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_map_file",
			   "ioas=%u iova=0x%llx length=0x%llx fd=%d start=0x%llx flags=0x%x rc=0",
			   ioas, IOVA(3), ULL(page), memfd, ULL(page),
			   MAP_FIXED_RW));
	close(memfd);
	ASSERT_EQ(-EBADF, ioas_map_file(fd, ioas, memfd, 0, page, &iova,
					MAP_FIXED_RW));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_map_file",
			   "ioas=%u iova=0x%llx length=0x%llx fd=%d start=0x0 flags=0x%x rc=%d",
			   ioas, IOVA(3), ULL(page), memfd, MAP_FIXED_RW,
			   -EBADF));

	/* A range larger than what it holds. */
	ASSERT_EQ(0, ioas_unmap(fd, ioas, IOVA(1), 4 * page, &unmapped));
	ASSERT_EQ(2 * page, unmapped);
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_unmap",
			   "ioas=%u iova=0x%llx length=0x%llx unmapped=0x%llx flags=0x0 rc=0",
			   ioas, IOVA(1), ULL(4 * page), ULL(2 * page)));
	ASSERT_EQ(-ENOENT, ioas_unmap(fd, ioas, IOVA(1), page, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_unmap",
			   "ioas=%u iova=0x%llx length=0x%llx unmapped=0x0 flags=0x0 rc=%d",
			   ioas, IOVA(1), ULL(page), -ENOENT));
	ASSERT_EQ(0, ioas_unmap_all(fd, ioas2, &unmapped));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_unmap",
			   "ioas=%u iova=0x0 length=0x0 unmapped=0x%llx flags=0x%x rc=0",
			   ioas2, ULL(2 * page), IOASID_IOAS_UNMAP_ALL));

	ASSERT_EQ(0, ioas_map_batch(fd, ioas, ranges, 2, &failed));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_map_batch",
			   "ioas=%u num=2 failed=2 rc=0", ioas));
	ranges[0].iova = IOVA(6);
	ASSERT_EQ(-EEXIST, ioas_map_batch(fd, ioas, ranges, 2, &failed));
	ASSERT_EQ(1, failed);
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_map_batch",
			   "ioas=%u num=2 failed=1 rc=%d", ioas, -EEXIST));
	ranges[0] = (struct ioasid_batch_range){ .iova = IOVA(4),
						 .length = page };
	ranges[1] = (struct ioasid_batch_range){ .iova = IOVA(5),
						 .length = page };
	ASSERT_EQ(0, ioas_unmap_batch(fd, ioas, ranges, 2, &failed));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_unmap_batch",
			   "ioas=%u num=2 failed=2 rc=0", ioas));
	ASSERT_EQ(-ENOENT, ioas_unmap_batch(fd, ioas, ranges, 2, &failed));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_unmap_batch",
			   "ioas=%u num=2 failed=%u rc=%d", ioas, failed,
			   -ENOENT));

	/* At an IOVA the kernel chooses, which the event tells. */
	ASSERT_EQ(0, ioas_map(fd, ioas, self->buf, page, &chosen, MAP_RW));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_map",
			   "ioas=%u iova=0x%llx length=0x%llx uaddr=0x%llx flags=0x%x rc=0",
			   ioas, ULL(chosen), ULL(page), VA(self->buf),
			   MAP_RW));
}

/* ATTACH, REPLACE and DETACH, of the device and of a PASID. */
TEST_F(trace, attach_replace_detach)
{
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	__u32 ioas = self->ctx.ioas_id, ioas2, dev;
	int fd = self->ctx.fd;

	ASSERT_EQ(0, mock_device(fd, &config, &dev));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas2));
	ASSERT_EQ(0, device_attach(fd, dev, ioas, 0, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_attach",
			   "dev=%u pt=%u pasid=0 op=attach unmet=0x0 rc=0", dev,
			   ioas));
	ASSERT_EQ(-EBUSY, device_attach(fd, dev, ioas2, 0, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_attach",
			   "dev=%u pt=%u pasid=0 op=attach unmet=0x0 rc=%d", dev,
			   ioas2, -EBUSY));
	ASSERT_EQ(0, device_attach(fd, dev, ioas2,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_attach",
			   "dev=%u pt=%u pasid=0 op=replace unmet=0x0 rc=0", dev,
			   ioas2));
	ASSERT_EQ(-ENOENT, device_attach(fd, dev, 999,
					 IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_attach",
			   "dev=%u pt=999 pasid=0 op=replace unmet=0x0 rc=%d", dev,
			   -ENOENT));

	ASSERT_EQ(0, attach_pasid(fd, dev, PASID, ioas, 0, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_attach",
			   "dev=%u pt=%u pasid=%u op=attach unmet=0x0 rc=0", dev,
			   ioas, PASID));
	ASSERT_EQ(0, detach_pasid(fd, dev, PASID));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_detach",
			   "dev=%u pasid=%u rc=0", dev, PASID));
	ASSERT_EQ(-EINVAL, detach_pasid(fd, dev, PASID));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_detach",
			   "dev=%u pasid=%u rc=%d", dev, PASID, -EINVAL));

	ASSERT_EQ(0, detach(fd, dev));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_detach",
			   "dev=%u pasid=0 rc=0", dev));
	ASSERT_EQ(-EINVAL, detach(fd, dev));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_detach",
			   "dev=%u pasid=0 rc=%d", dev, -EINVAL));
}

/*
 * ENABLE refused for a device that lacks dirty tracking, then done
 * without it; the device is then refused at attach.
 */
TEST_F(trace, enable_refusal)
{
	struct ioasid_test_mock_device good = mock_nesting_device(page), bad = good;
	__u32 ioas = self->ctx.ioas_id, good_id, bad_id;
	__u64 unmet = IOASID_UNMET_CAPS;
	int fd = self->ctx.fd;
	struct ioasid_features f;

	bad.caps &= ~IOASID_DEVICE_CAP_DIRTY_TRACKING;
	ASSERT_EQ(0, mock_device(fd, &good, &good_id));
	ASSERT_EQ(0, mock_device(fd, &bad, &bad_id));
	ASSERT_EQ(0, device_attach(fd, good_id, ioas, 0, NULL));
	ASSERT_EQ(0, device_attach(fd, bad_id, ioas, 0, NULL));
	features_init(&f);
	f.caps = htole64(IOASID_DEVICE_CAP_DIRTY_TRACKING);
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(fd, ioas, &f, &unmet));
	ASSERT_EQ(IOASID_UNMET_CAPS, unmet);
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_enable",
			   "ioas=%u unmet=0x%llx rc=%d", ioas, ULL(unmet),
			   -EOPNOTSUPP));

	ASSERT_EQ(0, detach(fd, bad_id));
	ASSERT_EQ(0, ioas_enable(fd, ioas, &f, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_enable",
			   "ioas=%u unmet=0x0 rc=0", ioas));
	ASSERT_EQ(-EALREADY, ioas_enable(fd, ioas, &f, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_ioas_enable",
			   "ioas=%u unmet=0x0 rc=%d", ioas, -EALREADY));

	ASSERT_EQ(-EOPNOTSUPP, device_attach(fd, bad_id, ioas, 0, &unmet));
	ASSERT_EQ(IOASID_UNMET_CAPS, unmet);
	ASSERT_TRUE(traced(_metadata, "ioasid_device_refused",
			   "ioas=%u dev=%u unmet=0x%llx", ioas, bad_id,
			   ULL(unmet)));
	ASSERT_TRUE(traced(_metadata, "ioasid_device_attach",
			   "dev=%u pt=%u pasid=0 op=attach unmet=0x%llx rc=%d",
			   bad_id, ioas, ULL(unmet), -EOPNOTSUPP));
}

/*
 * A page request queued on a fault object and answered by the VMM;
 * another the kernel answers as its device leaves; a fault of a nested
 * hwpt without a fault object, which goes nowhere.
 */
TEST_F(trace, faults)
{
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	__u32 ioas = self->ctx.ioas_id, dev, fault_id, hwpt, hwpt2;
	struct ioasid_hwpt_mock_s1 s1_data;
	struct ioasid_fault_response resp;
	int fd = self->ctx.fd, ffd;
	struct ioasid_fault rec;
	struct mock_s1 s1;
	__u64 iova = GPA_TABLES;
	char buf[8];

	ASSERT_EQ(0, mock_device(fd, &config, &dev));
	ASSERT_EQ(0, ioas_map(fd, ioas, self->buf, NTABLES * page, &iova,
			      MAP_FIXED_RW));
	mock_s1_init(&s1, self->buf, GPA_TABLES, page, NTABLES);
	s1_data = (struct ioasid_hwpt_mock_s1){ .root = mock_s1_root(&s1) };
	ASSERT_EQ(0, fault_alloc(fd, 4, &fault_id, &ffd));
	ASSERT_EQ(0, hwpt_alloc(fd, dev, ioas, IOASID_NESTING_MOCK_S1,
				fault_id, &s1_data, sizeof(s1_data), &hwpt,
				NULL));
	ASSERT_EQ(0, hwpt_alloc(fd, dev, ioas, IOASID_NESTING_MOCK_S1, 0,
				&s1_data, sizeof(s1_data), &hwpt2, NULL));
	ASSERT_EQ(0, device_attach(fd, dev, hwpt, 0, NULL));

	ASSERT_EQ(-EAGAIN, mock_dma_flags(fd, dev, IOASID_TEST_DMA_PRI, 0,
					  FAULT_ADDR, buf, sizeof(buf)));
	ASSERT_TRUE(traced(_metadata, "ioasid_fault_report",
			   "dev=%u hwpt=%u pasid=0 addr=0x%llx flags=0x%x rc=0",
			   dev, hwpt, FAULT_ADDR,
			   IOASID_FAULT_READ | IOASID_FAULT_PAGE_REQUEST));
	ASSERT_EQ(sizeof(rec), read(ffd, &rec, sizeof(rec)));
	resp = (struct ioasid_fault_response){
		.cookie = rec.cookie,
		.code = IOASID_FAULT_RESPONSE_SUCCESS,
	};
	ASSERT_EQ(sizeof(resp), write(ffd, &resp, sizeof(resp)));
	ASSERT_TRUE(traced(_metadata, "ioasid_fault_response",
			   "dev=%u pasid=0 cookie=%u code=%u", dev, rec.cookie,
			   IOASID_FAULT_RESPONSE_SUCCESS));

	/* Unanswered when the device moves to the other hwpt. */
	ASSERT_EQ(-EAGAIN, mock_dma_flags(fd, dev, IOASID_TEST_DMA_PRI, 0,
					  FAULT_ADDR, buf, sizeof(buf)));
	ASSERT_EQ(sizeof(rec), read(ffd, &rec, sizeof(rec)));
	ASSERT_EQ(0, device_attach(fd, dev, hwpt2,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_TRUE(traced(_metadata, "ioasid_fault_response",
			   "dev=%u pasid=0 cookie=%u code=%u", dev, rec.cookie,
			   IOASID_FAULT_RESPONSE_INVALID));

	ASSERT_NE(0, mock_dma(fd, dev, FAULT_ADDR, buf, sizeof(buf), true));
	ASSERT_TRUE(traced(_metadata, "ioasid_fault_report",
			   "dev=%u hwpt=%u pasid=0 addr=0x%llx flags=0x%x rc=%d",
			   dev, hwpt2, FAULT_ADDR, IOASID_FAULT_WRITE,
			   -ENODEV));
	ASSERT_EQ(0, detach(fd, dev));
	close(ffd);
}

/* TAKE_OWNERSHIP, UADDR_INVALIDATE and UADDR_SUPPLY. */
TEST_F(trace, live_update)
{
	__u64 iova = IOVA(1), moved, mappings, length;
	__u32 ioas = self->ctx.ioas_id;
	int fd = self->ctx.fd, rc;

	ASSERT_EQ(0, ioas_map(fd, ioas, self->buf, 2 * page, &iova,
			      MAP_FIXED_RW));
	ASSERT_EQ(0, take_ownership(fd, &moved));
	ASSERT_TRUE(traced(_metadata, "ioasid_take_ownership",
			   "moved=0x%llx rc=0", ULL(moved)));

	ASSERT_EQ(0, uaddr_invalidate_range(fd, ioas, 0, IOVA(1), 2 * page,
					    &mappings, &length));
	ASSERT_EQ(1, mappings);
	ASSERT_EQ(2 * page, length);
	ASSERT_TRUE(traced(_metadata, "ioasid_uaddr_invalidate",
			   "ioas=%u iova=0x%llx length=0x%llx flags=0x%x mappings=1 bytes=0x%llx rc=0",
			   ioas, IOVA(1), ULL(2 * page),
			   IOASID_UADDR_INVALIDATE_RANGE, ULL(2 * page)));

	ASSERT_EQ(0, uaddr_supply(fd, ioas, IOVA(1), 2 * page, self->buf));
	ASSERT_TRUE(traced(_metadata, "ioasid_uaddr_supply",
			   "ioas=%u iova=0x%llx length=0x%llx uaddr=0x%llx flags=0x0 rc=0",
			   ioas, IOVA(1), ULL(2 * page), VA(self->buf)));
	/* Nothing is left to supply. */
	rc = uaddr_supply(fd, ioas, IOVA(1), 2 * page, self->buf);
	ASSERT_GT(0, rc);
	ASSERT_TRUE(traced(_metadata, "ioasid_uaddr_supply",
			   "ioas=%u iova=0x%llx length=0x%llx uaddr=0x%llx flags=0x0 rc=%d",
			   ioas, IOVA(1), ULL(2 * page), VA(self->buf), rc));
}

TEST_HARNESS_MAIN
