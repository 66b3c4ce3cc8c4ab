/*
 * suggest_compute(): exact lines and kept hazards on small entry lists with
 * hand-written use bits and findings (the shapes dfuse.c and hazard.c
 * produce).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuse.h"
#include "suggest.h"

struct tree {
	struct entry_list l;
	uint8_t use[64], named[64];
	size_t line[64];
};

/* "d path" / "f path", a '+' suffix: used, '!': named (and used). */
static void
build(struct tree *t, const char *const *spec)
{
	size_t i, k;

	memset(t, 0, sizeof(*t));
	entry_list_init(&t->l);
	for (i = 0; spec[i] != NULL; i++) {
		const char *s = spec[i] + 2;
		size_t n = strlen(s);
		char mark = s[n - 1];
		struct entry *e;

		if (mark == '+' || mark == '!')
			n--;
		e = entry_list_add(&t->l, s, n, NULL);
		assert_non_null(e);
		e->type = spec[i][0];
	}
	entry_list_sort(&t->l);
	for (i = 0; spec[i] != NULL; i++) {
		const char *s = spec[i] + 2;
		size_t n = strlen(s);
		char mark = s[n - 1];

		if (mark != '+' && mark != '!')
			continue;
		for (k = 0; k < t->l.n; k++)
			if (t->l.v[k].path_len == n - 1 &&
			    memcmp(t->l.v[k].path, s, n - 1) == 0) {
				t->use[k] = DFUSE_LAYER;
				t->named[k] = mark == '!';
				t->line[k] = 2;
			}
	}
}

/* The lines as "cls pattern\n" and the kept ones as "kept path rule\n". */
static char *
run(struct tree *t, size_t nt, const char *const *findings,
    const char *dockerfile)
{
	struct suggest_view v[2];
	struct suggestion sg;
	json_t *f[2];
	char *out = calloc(1, 4096);
	size_t i;

	assert_non_null(out);
	for (i = 0; i < nt; i++) {
		f[i] = json_loads(findings[i], 0, NULL);
		assert_non_null(f[i]);
		v[i].l = &t[i].l;
		v[i].use = t[i].use;
		v[i].named = t[i].named;
		v[i].line = t[i].line;
		v[i].findings = f[i];
		v[i].dockerfile = dockerfile;
	}
	assert_int_equal(suggest_compute(v, nt, &sg, NULL), 0);
	for (i = 0; i < sg.nlines; i++)
		snprintf(out + strlen(out), 4096 - strlen(out), "%s %s\n",
		    sg.lines[i].cls, sg.lines[i].pattern);
	for (i = 0; i < sg.nkept; i++)
		snprintf(out + strlen(out), 4096 - strlen(out), "kept %s %s: %s\n",
		    sg.kept[i].path, sg.kept[i].rule, sg.kept[i].why);
	suggestion_free(&sg);
	for (i = 0; i < nt; i++) {
		json_decref(f[i]);
		entry_list_free(&t[i].l);
	}
	return out;
}

static void
test_recurring_and_single(void **state)
{
	static const char *const spec[] = {
		"f Dockerfile", "f .env", "d src+", "f src/app.py!",
		"d src/__pycache__", "f src/__pycache__/a.pyc",
		"d lib", "d lib/__pycache__", "f lib/__pycache__/b.pyc",
		"d docs", "f docs/r.md", NULL };
	static const char *const fi[] = { "["
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"path\":\".env\"},"
	    "{\"class\":\"pycache\",\"rule\":\"pycache-dir\",\"path\":\"lib/__pycache__\"},"
	    "{\"class\":\"pycache\",\"rule\":\"pycache-dir\",\"path\":\"src/__pycache__\"}]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	/* lib is unused as a whole: /lib covers lib/__pycache__, so the
	 * name recurs once only among the targets */
	assert_string_equal(got,
	    "pycache /src/__pycache__\n"
	    "secret /.env\n"
	    "dead-weight /docs\n"
	    "dead-weight /lib\n");
	free(got);
}

static void
test_double_star_when_safe(void **state)
{
	static const char *const spec[] = {
		"f Dockerfile", "d a+", "f a/x.py!", "f a/.env",
		"d b+", "f b/y.py!", "f b/.env", NULL };
	static const char *const fi[] = { "["
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"path\":\"a/.env\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"path\":\"b/.env\"}]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got, "secret **/.env\n");
	free(got);
}

static void
test_named_hazard_kept(void **state)
{
	/* COPY c/.env names it: it stays, and `**` + `/.env` would take it,
	 * so the other two get exact lines */
	static const char *const spec[] = {
		"f Dockerfile", "f .env", "d a+", "f a/x.py!", "f a/.env",
		"d c+", "f c/.env!", NULL };
	static const char *const fi[] = { "["
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"path\":\".env\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"path\":\"a/.env\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"path\":\"c/.env\"}]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got,
	    "secret /.env\n"
	    "secret /a/.env\n"
	    "kept c/.env secret-dotenv: c/.env is named by the Dockerfile, "
	    "line 2\n");
	free(got);
}

static void
test_whole_copy_hazard_removed(void **state)
{
	/* COPY . . uses everything without naming it: the hazard goes */
	static const char *const spec[] = {
		"f Dockerfile+", "d .git+", "f .git/HEAD+", "f main.go+", NULL };
	static const char *const fi[] = { "["
	    "{\"class\":\"vcs\",\"rule\":\"vcs-git\",\"path\":\".git\"}]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got, "vcs /.git\n");
	free(got);
}

static void
test_split_around_dockerfile(void **state)
{
	/* -f docker/Dockerfile: the unused docker/ cannot go as a whole */
	static const char *const spec[] = {
		"d docker", "f docker/Dockerfile", "f docker/notes.md",
		"d docker/old", "f docker/old/x", "f app.py!", NULL };
	static const char *const fi[] = { "[]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "docker/Dockerfile");
	assert_string_equal(got,
	    "dead-weight /docker/notes.md\n"
	    "dead-weight /docker/old\n");
	free(got);
}

static void
test_escaping(void **state)
{
	static const char *const spec[] = {
		"f Dockerfile", "f a*b", "f !x", "f q?[z]", "f ok!", NULL };
	static const char *const fi[] = { "[]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got,
	    "dead-weight /\\!x\n"
	    "dead-weight /a\\*b\n"
	    "dead-weight /q\\?\\[z]\n");
	free(got);
}

static void
test_two_builders(void **state)
{
	/* BuildKit sends only what COPY app names; classic sends all: the
	 * lines hold for both, and the name that recurs in classic's view
	 * only is grouped */
	static const char *const bk[] = { "d app+", "f app/m.py+",
		"d app/__pycache__", "f app/__pycache__/m.pyc", NULL };
	static const char *const cl[] = { "f Dockerfile", "d app!", "f app/m.py+",
		"d app/__pycache__", "f app/__pycache__/m.pyc",
		"d t+", "d t/__pycache__", "f t/__pycache__/n.pyc", "f t/k.py+", NULL };
	static const char *const fi[] = { "["
	    "{\"class\":\"pycache\",\"rule\":\"pycache-dir\",\"path\":\"app/__pycache__\"}]",
	    "["
	    "{\"class\":\"pycache\",\"rule\":\"pycache-dir\",\"path\":\"app/__pycache__\"},"
	    "{\"class\":\"pycache\",\"rule\":\"pycache-dir\",\"path\":\"t/__pycache__\"}]" };
	struct tree t[2];
	char *got;

	(void)state;
	build(&t[0], bk);
	build(&t[1], cl);
	got = run(t, 2, fi, "Dockerfile");
	assert_string_equal(got, "pycache **/__pycache__\n");
	free(got);
}

static void
test_dir_wildcard(void **state)
{
	/* app/README.md is kept, so no `**` line for .md; each directory's
	 * unused siblings share one line, the odd one out its own */
	static const char *const spec[] = {
		"f Dockerfile", "d app+", "f app/m.py!", "f app/README.md!",
		"d docs+", "f docs/index.html!", "f docs/a.md", "f docs/b.md",
		"f docs/c.txt", "f NOTES.md", "f TODO.md", NULL };
	static const char *const fi[] = { "[]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got,
	    "dead-weight /*.md\n"
	    "dead-weight /docs/*.md\n"
	    "dead-weight /docs/c.txt\n");
	free(got);
}

static void
test_any_depth_wildcard(void **state)
{
	/* no kept .md anywhere: one line for every directory's .md files */
	static const char *const spec[] = {
		"f Dockerfile", "d app+", "f app/m.py!",
		"d docs+", "f docs/index.html!", "f docs/a.md", "f docs/b.md",
		"f docs/c.txt", "f NOTES.md", "d web+", "f web/x.js!",
		"f web/y.md", NULL };
	static const char *const fi[] = { "[]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got,
	    "dead-weight **/*.md\n"
	    "dead-weight /docs/c.txt\n");
	free(got);
}

static void
test_wildcard_would_take_kept(void **state)
{
	/* docs/keep.md is named: neither `/docs/` + `*.md` nor the `**`
	 * form may be written */
	static const char *const spec[] = {
		"f Dockerfile", "d docs+", "f docs/keep.md!", "f docs/a.md",
		"f docs/b.md", "d web+", "f web/x.js!", "f web/y.md", NULL };
	static const char *const fi[] = { "[]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got,
	    "dead-weight /docs/a.md\n"
	    "dead-weight /docs/b.md\n"
	    "dead-weight /web/y.md\n");
	free(got);
}

static void
test_wildcard_kept_by_other_builder(void **state)
{
	/* the classic builder builds a stage BuildKit skips, which copies
	 * docs/k.md: kept under classic only, it still forbids the wildcard */
	static const char *const bk[] = { "d app+", "f app/m.py!", NULL };
	static const char *const cl[] = { "f Dockerfile", "d app+",
		"f app/m.py!", "d docs+", "f docs/k.md!", "f docs/a.md",
		"f docs/b.md", NULL };
	static const char *const fi[] = { "[]", "[]" };
	struct tree t[2];
	char *got;

	(void)state;
	build(&t[0], bk);
	build(&t[1], cl);
	got = run(t, 2, fi, "Dockerfile");
	assert_string_equal(got,
	    "dead-weight /docs/a.md\n"
	    "dead-weight /docs/b.md\n");
	free(got);
}

static void
test_wildcard_files_only(void **state)
{
	/* directories and hazards are not grouped by extension */
	static const char *const spec[] = {
		"f Dockerfile", "f app.py!", "d old.d", "f old.d/x",
		"d new.d", "f new.d/y", "f a.key", "f b.key", NULL };
	static const char *const fi[] = { "["
	    "{\"class\":\"secret\",\"rule\":\"secret-key\",\"path\":\"a.key\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-key\",\"path\":\"b.key\"}]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got,
	    "secret /a.key\n"
	    "secret /b.key\n"
	    "dead-weight /new.d\n"
	    "dead-weight /old.d\n");
	free(got);
}

static void
test_name_beats_extension(void **state)
{
	/* `**` + `/README.md` and `**` + `/` + `*.md` cover the same: the
	 * narrower name is written */
	static const char *const spec[] = {
		"f Dockerfile", "d a+", "f a/x.py!", "f a/README.md",
		"d b+", "f b/y.py!", "f b/README.md", NULL };
	static const char *const fi[] = { "[]" };
	struct tree t;
	char *got;

	(void)state;
	build(&t, spec);
	got = run(&t, 1, fi, "Dockerfile");
	assert_string_equal(got, "dead-weight **/README.md\n");
	free(got);
}

static void
test_unescape(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(suggest_unescape("a\\x0ab\\x5c", 10, out), 4);
	assert_memory_equal(out, "a\nb\\", 4);
	assert_int_equal(suggest_unescape("\\xz1", 4, out), 4);
	assert_string_equal(out, "\\xz1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recurring_and_single),
		cmocka_unit_test(test_double_star_when_safe),
		cmocka_unit_test(test_named_hazard_kept),
		cmocka_unit_test(test_whole_copy_hazard_removed),
		cmocka_unit_test(test_split_around_dockerfile),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_two_builders),
		cmocka_unit_test(test_dir_wildcard),
		cmocka_unit_test(test_any_depth_wildcard),
		cmocka_unit_test(test_wildcard_would_take_kept),
		cmocka_unit_test(test_wildcard_kept_by_other_builder),
		cmocka_unit_test(test_wildcard_files_only),
		cmocka_unit_test(test_name_beats_extension),
		cmocka_unit_test(test_unescape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
