/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and comparing ioasid features descriptors (struct
 * ioasid_features), for tools/ioasid/ioasid-features and the selftests.
 */
#ifndef __IOASID_FEATURES_H
#define __IOASID_FEATURES_H

#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/ioasid.h>

/* Is @f a descriptor this tool can read: right magic, known version? */
static inline bool features_readable(const struct ioasid_features *f)
{
	return le32toh(f->magic) == IOASID_FEATURES_MAGIC &&
	       le16toh(f->version) == IOASID_FEATURES_VERSION &&
	       le16toh(f->num_iova_ranges) <= IOASID_FEATURES_MAX_RANGES;
}

static inline void features_print_range(FILE *out, const char *prefix,
					const struct ioasid_features *f,
					unsigned int i)
{
	fprintf(out, "%s[0x%llx, 0x%llx]", prefix,
		(unsigned long long)le64toh(f->iova_ranges[i].start),
		(unsigned long long)le64toh(f->iova_ranges[i].last));
}

/* Print one descriptor, a field per line. */
static inline void features_print(FILE *out, const struct ioasid_features *f)
{
	unsigned int i, n = le16toh(f->num_iova_ranges);

	fprintf(out, "version %u\n", le16toh(f->version));
	fprintf(out, "caps 0x%llx\n", (unsigned long long)le64toh(f->caps));
	fprintf(out, "nesting_format 0x%x\n", le32toh(f->nesting_format));
	fprintf(out, "min_pasid_log2 %u\n", le32toh(f->min_pasid_log2));
	fprintf(out, "max_page_size 0x%llx\n",
		(unsigned long long)le64toh(f->max_page_size));
	for (i = 0; i < n; i++) {
		features_print_range(out, "iova_range ", f, i);
		fputc('\n', out);
	}
}

static inline bool ranges_equal(const struct ioasid_features *a,
				const struct ioasid_features *b)
{
	unsigned int n = le16toh(a->num_iova_ranges);

	return n == le16toh(b->num_iova_ranges) &&
	       !memcmp(a->iova_ranges, b->iova_ranges,
		       n * sizeof(a->iova_ranges[0]));
}

/* Print "name: a -> b" when @a and @b differ; returns 1 then, else 0. */
static inline int diff_field(FILE *out, const char *name,
			     unsigned long long a, unsigned long long b,
			     bool hex)
{
	if (a == b)
		return 0;
	fprintf(out, hex ? "%s: 0x%llx -> 0x%llx\n" : "%s: %llu -> %llu\n",
		name, a, b);
	return 1;
}

/*
 * Print each field in which @a and @b differ, as "field: a -> b".
 * Returns the number of fields that differ.
 */
static inline int features_diff(FILE *out, const struct ioasid_features *a,
				const struct ioasid_features *b)
{
	unsigned int i;
	int n = 0;

	n += diff_field(out, "version", le16toh(a->version),
			le16toh(b->version), false);
	n += diff_field(out, "caps", le64toh(a->caps), le64toh(b->caps), true);
	n += diff_field(out, "nesting_format", le32toh(a->nesting_format),
			le32toh(b->nesting_format), true);
	n += diff_field(out, "min_pasid_log2", le32toh(a->min_pasid_log2),
			le32toh(b->min_pasid_log2), false);
	n += diff_field(out, "max_page_size", le64toh(a->max_page_size),
			le64toh(b->max_page_size), true);
	if (!ranges_equal(a, b)) {
		fprintf(out, "iova_ranges:");
		for (i = 0; i < le16toh(a->num_iova_ranges); i++)
			features_print_range(out, " ", a, i);
		fprintf(out, " ->");
		for (i = 0; i < le16toh(b->num_iova_ranges); i++)
			features_print_range(out, " ", b, i);
		fputc('\n', out);
		n++;
	}
	return n;
}

#endif /* __IOASID_FEATURES_H */
