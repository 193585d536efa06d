// SPDX-License-Identifier: GPL-2.0
/*
 * kh-encrypt-image KEY-FILE PLAIN LUKS OFFSET SECTOR: writes PLAIN (a
 * filesystem image) into the data segment of the LUKS2 file LUKS, which
 * starts OFFSET bytes in, encrypted the way dm-crypt reads it back with
 * aes-xts-plain64 and SECTOR-byte encryption sectors: each sector one
 * XTS data unit, its tweak the little-endian 64-bit number of its first
 * 512-byte sector within the segment (LUKS2 sets no iv_large_sectors).
 *
 * Why on the host: the host has no device-mapper, and writing the image
 * through a guest's dm-crypt under TCG took 7 minutes of the cold run and
 * 2 of every warm one (the install's delta). The guest's real dm-crypt
 * opens what this writes; a wrong byte here is a failed boot.
 *
 * The key is test data (made for the test image), held locked and wiped
 * all the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#define KH_KEY_LEN 64		/* aes-xts-plain64, 512-bit key */
#define KH_CHUNK (1 << 20)

static unsigned char kh_key[KH_KEY_LEN];
static unsigned char kh_plain[KH_CHUNK];
static unsigned char kh_cipher[KH_CHUNK];

static int kh_read_all(int fd, unsigned char *buf, size_t len, size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = read(fd, buf + *got, len - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*got += n;
	}
	return 0;
}

static int kh_write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

static int kh_load_key(const char *path)
{
	size_t got;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = kh_read_all(fd, kh_key, sizeof(kh_key), &got);
	close(fd);
	if (!ret && got != sizeof(kh_key))
		ret = -EINVAL;
	return ret;
}

/* Encrypts len bytes (whole sectors) that start at byte pos of the segment. */
static int kh_encrypt(EVP_CIPHER_CTX *ctx, size_t len, unsigned long long pos,
		      size_t sector)
{
	unsigned char iv[16];
	unsigned long long n;
	size_t off;
	int out, i;

	for (off = 0; off < len; off += sector) {
		n = (pos + off) / 512;
		memset(iv, 0, sizeof(iv));
		for (i = 0; i < 8; i++)
			iv[i] = n >> (8 * i);
		if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) ||
		    !EVP_EncryptUpdate(ctx, kh_cipher + off, &out,
				       kh_plain + off, sector) ||
		    (size_t)out != sector)
			return -EIO;
	}
	return 0;
}

static int kh_copy(int in, int out, size_t sector)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	unsigned long long pos = 0;
	size_t got, len;
	int ret = -ENOMEM;

	if (!ctx)
		return ret;
	ret = -EIO;
	if (!EVP_EncryptInit_ex(ctx, EVP_aes_256_xts(), NULL, kh_key, NULL))
		goto out;
	for (;;) {
		ret = kh_read_all(in, kh_plain, sizeof(kh_plain), &got);
		if (ret || !got)
			break;
		/* A short last piece is padded to a whole sector with zeros. */
		len = (got + sector - 1) / sector * sector;
		memset(kh_plain + got, 0, len - got);
		ret = kh_encrypt(ctx, len, pos, sector);
		if (!ret)
			ret = kh_write_all(out, kh_cipher, len);
		if (ret)
			break;
		pos += len;
	}
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int main(int argc, char **argv)
{
	long long offset;
	long sector;
	int in = -1, out = -1, ret;

	if (argc != 6) {
		fprintf(stderr, "usage: kh-encrypt-image KEY-FILE PLAIN LUKS OFFSET SECTOR\n");
		return 2;
	}
	offset = atoll(argv[4]);
	sector = atol(argv[5]);
	if (offset <= 0 || (sector != 512 && sector != 4096)) {
		fprintf(stderr, "kh-encrypt-image: bad offset or sector size\n");
		return 2;
	}
	if (mlock(kh_key, sizeof(kh_key)))
		perror("kh-encrypt-image: mlock");
	ret = kh_load_key(argv[1]);
	if (ret)
		goto out;
	in = open(argv[2], O_RDONLY | O_CLOEXEC);
	out = open(argv[3], O_WRONLY | O_CLOEXEC);
	if (in < 0 || out < 0) {
		ret = -errno;
		goto out;
	}
	if (lseek(out, offset, SEEK_SET) != offset) {
		ret = -errno;
		goto out;
	}
	ret = kh_copy(in, out, sector);
	if (!ret && fsync(out))
		ret = -errno;
out:
	OPENSSL_cleanse(kh_key, sizeof(kh_key));
	OPENSSL_cleanse(kh_plain, sizeof(kh_plain));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret)
		fprintf(stderr, "kh-encrypt-image: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
