// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "daemon/keyfile.h"

#define KEYFILE_MAX 4096
#define REVLIST_MAX (1 << 20)
#define KEY_HEX_LEN (2 * IDENT_PUB_LEN)

/*
 * Read at most max bytes of path into a new buffer; *len is its size (the
 * caller wipes and frees it: burn). The buffer is sized by fstat, and grows
 * only if the file grows meanwhile (or is a /proc file of size 0), so that
 * a short key file costs no max-byte buffer.
 */
static int slurp(const char *path, size_t max, uint8_t **out, size_t *len, struct stat *st,
		 char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf;
	ssize_t n;
	size_t got = 0, cap;

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	/* one byte more than the file (or than max): a read that fills it is past the end */
	cap = st->st_size >= 0 && (uint64_t)st->st_size < max ? (size_t)st->st_size + 1 : max + 1;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + got, cap - got)) > 0) {
		uint8_t *more;
		size_t want;

		got += (size_t)n;
		if (got < cap)
			continue;
		if (cap == max + 1)
			break;
		/* the file is longer than fstat said: a bigger buffer, the old one wiped */
		want = cap <= (max + 1) / 2 ? 2 * cap : max + 1;
		more = malloc(want);
		if (!more) {
			sodium_memzero(buf, got);
			free(buf);
			close(fd);
			return -ENOMEM;
		}
		memcpy(more, buf, got);
		sodium_memzero(buf, got);
		free(buf);
		buf = more;
		cap = want;
	}
	close(fd);
	if (got > max) {
		sodium_memzero(buf, got);
		free(buf);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		return -EFBIG;
	}
	*out = buf;
	*len = got;
	return 0;
}

static void burn(uint8_t *buf, size_t len)
{
	sodium_memzero(buf, len);
	free(buf);
}

/* "TAG\n<64 hex>\n": the 32 bytes after the tag line. */
static int parse_key_text(const char *path, const uint8_t *buf, size_t len, const char *tag,
			  uint8_t out[32], char *err, size_t errlen)
{
	size_t tl = strlen(tag), off, k = 0;
	char hex[KEY_HEX_LEN + 1];
	int ret = 0;

	if (len < tl + 1 || memcmp(buf, tag, tl) || (buf[tl] != '\n' && buf[tl] != '\r')) {
		if (!strcmp(tag, KEYFILE_PUB_TAG) && len >= strlen(KEYFILE_PRIV_TAG) &&
		    !memcmp(buf, KEYFILE_PRIV_TAG, strlen(KEYFILE_PRIV_TAG)))
			snprintf(err, errlen, "%s is a private key; give its .pub file", path);
		else
			snprintf(err, errlen, "%s: does not start with '%s'", path, tag);
		return -EINVAL;
	}
	for (off = tl; off < len; off++) {
		if (buf[off] == ' ' || buf[off] == '\n' || buf[off] == '\r' || buf[off] == '\t')
			continue;
		if (k == KEY_HEX_LEN) {
			k++;
			break;
		}
		hex[k++] = (char)buf[off];
	}
	hex[k < KEY_HEX_LEN ? k : KEY_HEX_LEN] = '\0';
	if (k != KEY_HEX_LEN || sodium_hex2bin(out, 32, hex, KEY_HEX_LEN, NULL, NULL, NULL) != 0) {
		snprintf(err, errlen, "%s: expected %d hex digits after the '%s' line", path,
			 KEY_HEX_LEN, tag);
		ret = -EINVAL;
	}
	sodium_memzero(hex, sizeof(hex));
	return ret;
}

int keyfile_read_private(const char *path, struct ident *out, char *err, size_t errlen)
{
	uint8_t *buf, seed[IDENT_SEED_LEN];
	struct stat st;
	size_t len;
	int ret = slurp(path, KEYFILE_MAX, &buf, &len, &st, err, errlen);

	if (ret)
		return ret;
	if (st.st_mode & 077) {
		burn(buf, len);
		snprintf(err, errlen,
			 "private key %s is accessible by group/other (mode %04o); "
			 "fix: chmod 600 %s",
			 path, (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	ret = parse_key_text(path, buf, len, KEYFILE_PRIV_TAG, seed, err, errlen);
	burn(buf, len);
	if (!ret && ident_from_seed(seed, out))
		ret = -EIO;
	sodium_memzero(seed, sizeof(seed));
	return ret;
}

int keyfile_read_public(const char *path, uint8_t pub[IDENT_PUB_LEN], char *err, size_t errlen)
{
	uint8_t *buf;
	struct stat st;
	size_t len;
	int ret = slurp(path, KEYFILE_MAX, &buf, &len, &st, err, errlen);

	if (ret)
		return ret;
	ret = parse_key_text(path, buf, len, KEYFILE_PUB_TAG, pub, err, errlen);
	burn(buf, len);
	return ret;
}

/* Create path exclusively with mode, write len bytes. */
static int write_new(const char *path, mode_t mode, const void *data, size_t len, char *err,
		     size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int e = 0;

	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s%s", path, strerror(e),
			 e == EEXIST ? " (refusing to overwrite)" : "");
		return -e;
	}
	if (fchmod(fd, mode) || write(fd, data, len) != (ssize_t)len)
		e = errno ? errno : EIO;
	if (close(fd) && !e)
		e = errno;
	if (e) {
		unlink(path);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int keyfile_write_pair(const char *path, const struct ident *k, char *err, size_t errlen)
{
	char text[128], hex[KEY_HEX_LEN + 1], pubpath[4096];
	int ret;

	if (snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >= (int)sizeof(pubpath)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	sodium_bin2hex(hex, sizeof(hex), k->sec, IDENT_SEED_LEN); /* sec = seed || pub */
	snprintf(text, sizeof(text), "%s\n%s\n", KEYFILE_PRIV_TAG, hex);
	ret = write_new(path, 0600, text, strlen(text), err, errlen);
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(text, sizeof(text));
	if (ret)
		return ret;
	sodium_bin2hex(hex, sizeof(hex), k->pub, IDENT_PUB_LEN);
	snprintf(text, sizeof(text), "%s\n%s\n", KEYFILE_PUB_TAG, hex);
	ret = write_new(pubpath, 0644, text, strlen(text), err, errlen);
	if (ret)
		unlink(path);
	return ret;
}

int keyfile_write_cert(const char *path, const struct cert *c, char *err, size_t errlen)
{
	return write_new(path, 0644, c->raw, c->len, err, errlen);
}

int keyfile_read_cert(const char *path, struct cert *out, char *err, size_t errlen)
{
	char e2[160];
	uint8_t *buf;
	struct stat st;
	size_t len;
	int ret = slurp(path, CERT_MAX_LEN + 1, &buf, &len, &st, err, errlen);

	if (ret)
		return ret;
	ret = cert_decode(buf, len, out, e2, sizeof(e2));
	free(buf);
	if (ret)
		snprintf(err, errlen, "certificate %s: %s", path, e2);
	return ret;
}

int keyfile_read_revlist(const char *path, struct cert_revlist *out, char *err, size_t errlen)
{
	char e2[160];
	uint8_t *buf;
	struct stat st;
	size_t len;
	int ret = slurp(path, REVLIST_MAX, &buf, &len, &st, err, errlen);

	if (ret)
		return ret;
	ret = cert_revlist_parse((const char *)buf, len, out, e2, sizeof(e2));
	free(buf);
	if (ret)
		snprintf(err, errlen, "revocation list %s: %s", path, e2);
	return ret;
}
