// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-features: show an ioasid features descriptor, or compare two.
 *
 * A VMM saves the descriptor of an enabled IOAS (IOASID_IOAS_FEATURES) to a
 * file.  Before a migration, a management layer compares the source's with
 * the destination's, or with what the destination offers, and sees which
 * feature differs:
 *
 *   ioasid-features show FILE
 *   ioasid-features diff SOURCE DESTINATION
 *
 * diff exits 0 when the descriptors are the same, 1 when they differ (one
 * line per field, "field: source -> destination"), and 2 when a file is not
 * a descriptor this tool can read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasid_features.h"

static int read_descriptor(const char *path, struct ioasid_features *f)
{
	size_t len;
	FILE *in;

	in = fopen(path, "rb");
	if (!in) {
		perror(path);
		return -1;
	}
	memset(f, 0, sizeof(*f));
	len = fread(f, 1, sizeof(*f), in);
	fclose(in);
	if (len != sizeof(*f) || !features_readable(f)) {
		fprintf(stderr, "%s: not an ioasid features descriptor of version %u\n",
			path, IOASID_FEATURES_VERSION);
		return -1;
	}
	return 0;
}

static int help(void)
{
	fprintf(stderr, "usage: ioasid-features show FILE\n"
			"       ioasid-features diff SOURCE DESTINATION\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ioasid_features a, b;

	if (argc == 3 && !strcmp(argv[1], "show")) {
		if (read_descriptor(argv[2], &a))
			return 2;
		features_print(stdout, &a);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "diff")) {
		if (read_descriptor(argv[2], &a) ||
		    read_descriptor(argv[3], &b))
			return 2;
		return features_diff(stdout, &a, &b) ? 1 : 0;
	}
	return help();
}
