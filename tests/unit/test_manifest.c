/*
 * manifest.c: the ctx-v1 records, the context hash and the listing, pinned
 * to the worked example of ../shared/spec/context-hash.md and to exact
 * expected text for escaping, devices and the two orders.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "testutil.h"

#include "digest.h"
#include "entry.h"
#include "manifest.h"

static const char spec_hash[] =
    "sha256:8b59414350a1eed09952712dbbd96d703d3fcd5f29ecc1528c524b257a9fe3b5";
static const char empty_hash[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(int dfd, const char *path, const char *text, mode_t mode)
{
	int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static struct entry *
add(struct entry_list *l, const char *path, char type, uint32_t perm)
{
	struct ctx_error err;
	struct entry *e = entry_list_add(l, path, strlen(path), &err);

	assert_non_null(e);
	e->type = type;
	e->perm = perm;
	return e;
}

/* A directory or FIFO entry with an embedded-NUL-free path of len bytes. */
static struct entry *
addn(struct entry_list *l, const char *path, size_t len, char type)
{
	struct ctx_error err;
	struct entry *e = entry_list_add(l, path, len, &err);

	assert_non_null(e);
	e->type = type;
	e->perm = 0755;
	return e;
}

static struct entry *
add_inline(struct entry_list *l, const char *path, const char *text)
{
	struct entry *e = add(l, path, ENTRY_FILE, 0644);

	e->flags |= ENTRY_INLINE;
	e->content_len = strlen(text);
	e->content = malloc(e->content_len + 1);
	assert_non_null(e->content);
	memcpy(e->content, text, e->content_len + 1);
	return e;
}

static void
expect_manifest(const struct entry_list *l, const char *want)
{
	struct manifest_buf b;
	struct ctx_error err;

	manifest_buf_init(&b);
	assert_int_equal(manifest_write(&b, l, &err), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	manifest_buf_free(&b);
}

static void
expect_listing(const struct entry_list *l, const char *want)
{
	struct manifest_buf b;
	struct ctx_error err;

	manifest_buf_init(&b);
	assert_int_equal(listing_write(&b, l, &err), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	manifest_buf_free(&b);
}

static void
digest_all(struct entry_list *l, int rootfd)
{
	struct ctx_error err;

	assert_int_equal(digest_entries(l, rootfd, NULL, &err), 0);
}

/* The worked example of context-hash.md, read from a real tree. */
static void
test_spec_example(void **state)
{
	char dir[] = "/tmp/ctxd-test-manifest.XXXXXX";
	struct entry_list l;
	struct manifest_buf b;
	struct ctx_error err;
	char hash[MANIFEST_HASH_SIZE];
	struct entry *e;
	int rootfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	write_file(rootfd, "Dockerfile",
	    "FROM python:3.12-slim\nCOPY app /app\n", 0644);
	assert_int_equal(mkdirat(rootfd, "app", 0755), 0);
	write_file(rootfd, "app/main.py", "print(\"hi\")\n", 0644);
	assert_int_equal(symlinkat("app/main.py", rootfd, "app-link"), 0);

	/* out of order on purpose: the manifest is printed after a sort */
	entry_list_init(&l);
	add(&l, "app/main.py", ENTRY_FILE, 0644);
	e = add(&l, "app-link", ENTRY_LINK, 0777);
	e->link = strdup("app/main.py");
	add(&l, "app", ENTRY_DIR, 0755);
	add(&l, "Dockerfile", ENTRY_FILE, 0644);
	digest_all(&l, rootfd);
	entry_list_sort(&l);
	expect_manifest(&l,
	    "f 0644 36 f0610a389a4e1c8c626084a76d228f5b6c73d1914ebe988ef48443cde9f115ee Dockerfile\n"
	    "d 0755 0 - app\n"
	    "l 0777 0 990f7e4140fab1ad82afc787505090b64d4024e63a891405cd9085e7e6b249dd app-link\n"
	    "f 0644 12 0ca9091eb4e31fb1ab24c8c5de92a08e4e5f402919f82ea3ca784f38534f03f3 app/main.py\n");

	assert_int_equal(manifest_hash(&l, hash, &err), 0);
	assert_string_equal(hash, spec_hash);
	manifest_buf_init(&b);
	assert_int_equal(manifest_write(&b, &l, &err), 0);
	assert_int_equal(manifest_text_hash(b.data, b.len, hash, &err), 0);
	assert_string_equal(hash, spec_hash);
	manifest_buf_free(&b);

	expect_listing(&l, "Dockerfile\napp-link\napp/\napp/main.py\n");

	entry_list_free(&l);
	close(rootfd);
	rm_tree(dir);
}

static void
test_empty_context(void **state)
{
	struct entry_list l;
	struct ctx_error err;
	char hash[MANIFEST_HASH_SIZE];

	(void)state;
	entry_list_init(&l);
	expect_manifest(&l, "");
	expect_listing(&l, "");
	assert_int_equal(manifest_hash(&l, hash, &err), 0);
	assert_string_equal(hash, empty_hash);
	assert_int_equal(manifest_text_hash("", 0, hash, &err), 0);
	assert_string_equal(hash, empty_hash);
}

static void
test_escape(void **state)
{
	char out[64];
	size_t n;

	(void)state;
	n = manifest_escape(out, "plain name", 10);
	assert_int_equal(n, 10);
	assert_memory_equal(out, "plain name", 10);
	n = manifest_escape(out, "a\nb\\c\x7f" "d\x01\x1f", 9);
	assert_int_equal(n, 24);
	assert_memory_equal(out, "a\\x0ab\\x5cc\\x7fd\\x01\\x1f", 24);
	n = manifest_escape(out, "\0x", 2);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "\\x00x", 5);
	/* UTF-8 (bytes >= 0x80) and space are written as they are */
	n = manifest_escape(out, "caf\xc3\xa9 \xe2\x82\xac", 9);
	assert_int_equal(n, 9);
	assert_memory_equal(out, "caf\xc3\xa9 \xe2\x82\xac", 9);
}

/* Escaped paths in records; empty and inline files; modes and sizes. */
static void
test_records(void **state)
{
	struct entry_list l;
	struct entry *e;

	(void)state;
	entry_list_init(&l);
	add_inline(&l, ".dockerignore", ".git\n");
	e = add(&l, "empty", ENTRY_FILE, 0600);
	e->flags |= ENTRY_EMPTY;
	e->size = 1234;	/* the file's size; the content sent is empty */
	e = add(&l, "suid", ENTRY_FILE, 04755);
	e->flags |= ENTRY_EMPTY;
	e = add(&l, "x", ENTRY_FILE, 0100644);	/* type bits are dropped */
	e->flags |= ENTRY_EMPTY;
	addn(&l, "new\nline", 8, ENTRY_DIR);
	addn(&l, "back\\slash", 10, ENTRY_DIR);
	addn(&l, "del\x7f", 4, ENTRY_DIR);
	addn(&l, "nul\0byte", 8, ENTRY_DIR);
	e = addn(&l, "caf\xc3\xa9 dir", 9, ENTRY_FIFO);
	e->perm = 0644;
	e = add(&l, "link", ENTRY_LINK, 0777);
	e->link = strdup("");	/* SHA-256 of the empty target */
	digest_all(&l, -1);	/* no file is read: -1 is never used */
	entry_list_sort(&l);
	expect_manifest(&l,
	    "f 0644 5 fd03f16fc5ad8be70d6e0491fa2e029bc4a31f5b0de6d4adf8e7dd709d23840f .dockerignore\n"
	    "d 0755 0 - back\\x5cslash\n"
	    "p 0644 0 - caf\xc3\xa9 dir\n"
	    "d 0755 0 - del\\x7f\n"
	    "f 0600 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 empty\n"
	    "l 0777 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 link\n"
	    "d 0755 0 - new\\x0aline\n"
	    "d 0755 0 - nul\\x00byte\n"
	    "f 4755 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 suid\n"
	    "f 0644 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 x\n");
	entry_list_free(&l);
}

static void
test_devices(void **state)
{
	struct entry_list l;
	struct entry *e;

	(void)state;
	entry_list_init(&l);
	e = add(&l, "dev/null", ENTRY_CHR, 0666);
	e->rdev = makedev(1, 3);
	e = add(&l, "dev/sda1", ENTRY_BLK, 0660);
	e->rdev = makedev(8, 1);
	/* majors above 255 and minors above 255 use the split encoding */
	e = add(&l, "dev/nvme", ENTRY_BLK, 0600);
	e->rdev = makedev(259, 300000);
	e = add(&l, "dev/zero0", ENTRY_CHR, 0666);
	e->rdev = makedev(0, 0);
	entry_list_sort(&l);
	expect_manifest(&l,
	    "c 0666 0 1:3 dev/null\n"
	    "b 0600 0 259:300000 dev/nvme\n"
	    "b 0660 0 8:1 dev/sda1\n"
	    "c 0666 0 0:0 dev/zero0\n");
	entry_list_free(&l);
}

/*
 * The manifest sorts raw paths, the listing sorts escaped names with a '/'
 * after directories: "a-b" < "a/" but "a" < "a-b"; '[' (0x5b) < "\x01"
 * escaped (0x5c...) < ']' (0x5d), while raw 0x01 sorts first.
 */
static void
test_orders(void **state)
{
	struct entry_list l;
	struct entry *e;

	(void)state;
	entry_list_init(&l);
	add(&l, "a", ENTRY_DIR, 0755);
	e = add(&l, "a-b", ENTRY_FILE, 0644);
	e->flags |= ENTRY_EMPTY;
	e = add(&l, "a/c", ENTRY_FILE, 0644);
	e->flags |= ENTRY_EMPTY;
	add(&l, "b]", ENTRY_DIR, 0755);
	add(&l, "b[", ENTRY_DIR, 0755);
	add(&l, "b\x01", ENTRY_DIR, 0755);
	add(&l, "b!", ENTRY_FIFO, 0644);
	add(&l, "a.d", ENTRY_DIR, 0755);	/* '.' 0x2e < '/' 0x2f */
	add(&l, "a0", ENTRY_DIR, 0755);		/* '0' 0x30 > '/' */
	digest_all(&l, -1);
	entry_list_sort(&l);
	expect_manifest(&l,
	    "d 0755 0 - a\n"
	    "f 0644 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 a-b\n"
	    "d 0755 0 - a.d\n"
	    "f 0644 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 a/c\n"
	    "d 0755 0 - a0\n"
	    "d 0755 0 - b\\x01\n"
	    "p 0644 0 - b!\n"
	    "d 0755 0 - b[\n"
	    "d 0755 0 - b]\n");
	expect_listing(&l,
	    "a-b\n"
	    "a.d/\n"
	    "a/\n"
	    "a/c\n"
	    "a0/\n"
	    "b!\n"
	    "b[/\n"
	    "b\\x01/\n"
	    "b]/\n");
	entry_list_free(&l);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Listing order for inputs in any order: random names over an alphabet of
 * the bytes that matter ('-' < '.' < '/' < '0', 0x01 and '\\' escaped),
 * shuffled, unsorted or in manifest order, must come out sorted byte-wise
 * line by line, each name once.
 */
static void
test_listing_any_order(void **state)
{
	static const char abc[] = "-./0a\x01\\";
	struct entry_list l;
	struct manifest_buf b;
	struct ctx_error err;
	char path[16];
	const char *p, *prev, *nl;
	char **want;
	size_t i, j, n, prevlen, lines, round;

	(void)state;
	srandom(7);
	for (round = 0; round < 3; round++) {
		entry_list_init(&l);
		for (i = 0; i < 5000; i++) {
			n = 1 + (size_t)random() % 10;
			for (j = 0; j < n; j++)
				path[j] = abc[(size_t)random() % (sizeof(abc) - 1)];
			addn(&l, path, n, random() % 3 ? ENTRY_FILE : ENTRY_DIR);
		}
		if (round == 1)
			entry_list_sort(&l);
		if (round == 2)
			for (i = 0; i < l.n / 2; i++) {
				struct entry t = l.v[i];

				l.v[i] = l.v[l.n - 1 - i];
				l.v[l.n - 1 - i] = t;
			}
		manifest_buf_init(&b);
		assert_int_equal(listing_write(&b, &l, &err), 0);
		prev = NULL;
		prevlen = 0;
		lines = 0;
		for (p = b.data; p < b.data + b.len; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(b.data + b.len - p));
			assert_non_null(nl);
			if (prev != NULL) {
				size_t m = prevlen < (size_t)(nl - p) ?
				    prevlen : (size_t)(nl - p);
				int c = memcmp(prev, p, m);

				assert_true(c < 0 || (c == 0 &&
				    prevlen <= (size_t)(nl - p)));
			}
			prev = p;
			prevlen = (size_t)(nl - p);
			lines++;
		}
		assert_int_equal(lines, 5000);

		/* the same lines as qsort(strcmp) of the escaped names */
		want = calloc(l.n, sizeof(*want));
		assert_non_null(want);
		for (i = 0; i < l.n; i++) {
			want[i] = calloc(1, 4 * l.v[i].path_len + 2);
			assert_non_null(want[i]);
			n = manifest_escape(want[i], l.v[i].path, l.v[i].path_len);
			if (l.v[i].type == ENTRY_DIR)
				want[i][n] = '/';
		}
		qsort(want, l.n, sizeof(*want), cmp_str);
		for (p = b.data, i = 0; i < l.n; i++) {
			n = strlen(want[i]);
			assert_memory_equal(p, want[i], n);
			assert_int_equal(p[n], '\n');
			p += n + 1;
			free(want[i]);
		}
		free(want);
		manifest_buf_free(&b);
		entry_list_free(&l);
	}
}

/* The streamed hash equals the hash of the written text past many chunks. */
static void
test_hash_streams(void **state)
{
	struct entry_list l;
	struct manifest_buf b;
	struct ctx_error err;
	char path[64], h1[MANIFEST_HASH_SIZE], h2[MANIFEST_HASH_SIZE];
	struct entry *e;
	int i, n;

	(void)state;
	entry_list_init(&l);
	for (i = 0; i < 20000; i++) {
		n = snprintf(path, sizeof(path), "dir%03d/file\\%05d", i % 97, i);
		e = addn(&l, path, (size_t)n, ENTRY_FILE);
		e->flags |= ENTRY_EMPTY;
	}
	digest_all(&l, -1);
	entry_list_sort(&l);
	manifest_buf_init(&b);
	assert_int_equal(manifest_write(&b, &l, &err), 0);
	assert_true(b.len > 1000000);
	assert_int_equal(manifest_text_hash(b.data, b.len, h1, &err), 0);
	assert_int_equal(manifest_hash(&l, h2, &err), 0);
	assert_string_equal(h1, h2);
	manifest_buf_free(&b);
	entry_list_free(&l);
}

/* A file never digested, a link without target, an unknown type: -1. */
static void
test_refuses_bad_entries(void **state)
{
	struct entry_list l;
	struct manifest_buf b;
	struct ctx_error err;
	char hash[MANIFEST_HASH_SIZE];
	struct entry *e;

	(void)state;
	entry_list_init(&l);
	add(&l, "f\n", ENTRY_FILE, 0644);
	manifest_buf_init(&b);
	assert_int_equal(manifest_write(&b, &l, &err), -1);
	assert_string_equal(err.msg, "f\\x0a: file not digested");
	assert_int_equal(manifest_hash(&l, hash, &err), -1);
	entry_list_free(&l);

	e = add(&l, "l", ENTRY_LINK, 0777);
	assert_int_equal(manifest_write(&b, &l, &err), -1);
	assert_string_equal(err.msg, "l: link without target");
	e->type = 's';
	assert_int_equal(manifest_write(&b, &l, &err), -1);
	assert_string_equal(err.msg, "l: unknown entry type");
	manifest_buf_free(&b);
	entry_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_empty_context),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_listing_any_order),
		cmocka_unit_test(test_hash_streams),
		cmocka_unit_test(test_refuses_bad_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
