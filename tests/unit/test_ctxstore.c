/*
 * ctxstore.c: a context kept as references into the daemon's tree gives
 * back exactly the entries it was given (paths, types, modes, sizes,
 * identities, links, digests), keeps whole what the tree cannot reproduce
 * (an injected entry, a digest read from bytes newer than the node's
 * stat), finds each entry by its node, and costs 8 bytes an entry.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "ctxstore.h"
#include "fsview.h"
#include "tree.h"
#include "watch.h"

#include "testutil.h"

static char dir[64];

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	char p[256];

	(void)state;
	strcpy(dir, "/tmp/ctxd-test-ctxstore.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/src", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/src/a-name-longer-than-fifteen-bytes", dir);
	mkdir(p, 0700);
	put("Dockerfile", "FROM scratch\nCOPY . /\n");
	put("src/main.py", "print(1)\n");
	put("src/a-name-longer-than-fifteen-bytes/x", "x");
	put("src/a.txt", "");
	snprintf(p, sizeof(p), "%s/link", dir);
	if (symlink("src/main.py", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/src/main.py", dir);
	chmod(p, 0750);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

struct fixture {
	int rootfd;
	struct watch *w;
	struct tree t;
	struct context c;
};

static void
on_event(void *arg, int wd, uint32_t mask, uint32_t cookie, const char *name)
{
	(void)arg, (void)wd, (void)mask, (void)cookie, (void)name;
}

/* The classic context of dir walked over a tree, digests read from the
 * files and given to the nodes (as the daemon's digest cache does). */
static void
build(struct fixture *f)
{
	struct context_options opt;
	struct ctx_error err;
	struct fsview view;
	size_t i;

	assert_true((f->rootfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_non_null(f->w = watch_new(on_event, NULL, NULL, &err));
	assert_int_equal(tree_init(&f->t, dir, f->rootfd, f->w, &err), 0);
	tree_view(&f->t, &view);
	memset(&opt, 0, sizeof(opt));
	opt.dir = dir;
	opt.builder = BUILDER_CLASSIC;
	opt.view = &view;
	assert_int_equal(context_build(&opt, &f->c, &err), 0);
	for (i = 0; i < f->c.entries.n; i++) {
		struct entry *e = &f->c.entries.v[i];
		struct tree_node *n = tree_node(&f->t, e->node);
		if (e->type != ENTRY_FILE || n == NULL)
			continue;
		memcpy(n->digest, e->digest, sizeof(n->digest));
		n->digest_ok = 1;
	}
}

static void
release(struct fixture *f)
{
	context_free(&f->c);
	tree_free(&f->t);
	watch_free(f->w);
	close(f->rootfd);
}

static void
assert_same_entry(const struct entry *a, const struct entry *b)
{
	assert_int_equal(a->path_len, b->path_len);
	assert_memory_equal(a->path, b->path, a->path_len + 1);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->perm, b->perm);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->dev, b->dev);
	assert_int_equal(a->ino, b->ino);
	assert_int_equal(a->rdev, b->rdev);
	if (a->link == NULL || b->link == NULL)
		assert_ptr_equal(a->link, b->link);
	else
		assert_string_equal(a->link, b->link);
	assert_int_equal(a->content_len, b->content_len);
	if (a->type == ENTRY_FILE)
		assert_memory_equal(a->digest, b->digest, sizeof(a->digest));
}

static void
test_round_trip(void **state)
{
	struct fixture f;
	struct ctxstore s;
	struct ctxstore_list l;
	struct ctx_error err;
	size_t i, whole = 0;

	(void)state;
	build(&f);
	ctxstore_init(&s);
	assert_int_equal(ctxstore_set(&s, &f.t, &f.c.entries, &err), 0);
	assert_int_equal(s.n, f.c.entries.n);
	/* Dockerfile link src src/a-name... src/a-name.../x src/a.txt
	 * src/main.py: every one a reference. */
	assert_int_equal(s.n, 7);
	for (i = 0; i < s.n; i++)
		whole += s.v[i].node < 0;
	assert_int_equal(whole, 0);
	assert_int_equal(sizeof(s.v[0]), 8);
	assert_int_equal(ctxstore_list(&s, &f.t, NULL, 0, &l, &err), 0);
	assert_int_equal(l.l.n, f.c.entries.n);
	for (i = 0; i < l.l.n; i++)
		assert_same_entry(&l.l.v[i], &f.c.entries.v[i]);
	ctxstore_list_free(&l);
	ctxstore_free(&s);
	release(&f);
}

static void
test_find(void **state)
{
	struct fixture f;
	struct ctxstore s;
	struct ctx_error err;
	size_t i;

	(void)state;
	build(&f);
	ctxstore_init(&s);
	assert_int_equal(ctxstore_set(&s, &f.t, &f.c.entries, &err), 0);
	for (i = 0; i < f.c.entries.n; i++)
		assert_int_equal(ctxstore_find(&s, &f.t, (int32_t)f.c.entries.v[i].node), (long)i);
	assert_int_equal(ctxstore_find(&s, &f.t, -1), -1);
	assert_int_equal(ctxstore_find(&s, &f.t, (int32_t)f.t.n + 5), -1);
	ctxstore_free(&s);
	release(&f);
}

/* What the tree cannot reproduce is kept whole, and still comes back. */
static void
test_whole(void **state)
{
	struct fixture f;
	struct ctxstore s;
	struct ctxstore_list l;
	struct ctx_error err;
	struct entry *e = NULL;
	size_t i, at = 0;

	(void)state;
	build(&f);
	for (i = 0; i < f.c.entries.n; i++)
		if (strcmp(f.c.entries.v[i].path, "src/main.py") == 0)
			e = &f.c.entries.v[at = i];
	assert_non_null(e);
	/* Bytes read after the stat: another size and digest than the node's. */
	e->size = 3;
	e->digest[0] ^= 1;
	ctxstore_init(&s);
	assert_int_equal(ctxstore_set(&s, &f.t, &f.c.entries, &err), 0);
	assert_true(s.v[at].node < 0);
	assert_int_equal(s.whole.n, 1);
	assert_int_equal(ctxstore_find(&s, &f.t, (int32_t)e->node), (long)at);
	assert_int_equal(ctxstore_list(&s, &f.t, &at, 1, &l, &err), 0);
	assert_same_entry(&l.l.v[0], e);
	ctxstore_list_free(&l);
	/* Re-digested right: a reference again. */
	e->size = 9;
	e->digest[0] ^= 1;
	assert_int_equal(ctxstore_update(&s, &f.t, at, e, &err), 0);
	assert_true(s.v[at].node >= 0);
	ctxstore_free(&s);
	release(&f);
}

struct each_state {
	const struct entry_list *want;
	size_t i;
};

static int
each_check(void *arg, const struct entry *e)
{
	struct each_state *st = arg;

	assert_true(st->i < st->want->n);
	assert_same_entry(e, &st->want->v[st->i]);
	st->i++;
	return 0;
}

/* ctxstore_each() makes the entries ctxstore_list() makes, from any start
 * (paths from the parent's kept prefix, links in place). */
static void
test_each(void **state)
{
	struct fixture f;
	struct ctxstore s;
	struct each_state st;
	struct ctx_error err;
	size_t start;

	(void)state;
	build(&f);
	ctxstore_init(&s);
	assert_int_equal(ctxstore_set(&s, &f.t, &f.c.entries, &err), 0);
	for (start = 0; start <= s.n; start++) {
		st.want = &f.c.entries;
		st.i = start;
		assert_int_equal(ctxstore_each_from(&s, &f.t, start, each_check, &st), 0);
		assert_int_equal(st.i, s.n);
	}
	ctxstore_free(&s);
	release(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_each),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
