/* The built-in hazard checks: exact findings on small sorted entry lists. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "hazard.h"

static void
add(struct entry_list *l, const char *path, char type, uint64_t size)
{
	struct entry *e = entry_list_add(l, path, strlen(path), NULL);

	assert_non_null(e);
	e->type = type;
	e->size = size;
}

static char *
scan(struct entry_list *l)
{
	json_t *f;
	char *s;

	entry_list_sort(l);
	f = hazard_scan(l);
	assert_non_null(f);
	s = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	return s;
}

static void
test_grouped_directories(void **state)
{
	struct entry_list l;
	char *got;

	(void)state;
	entry_list_init(&l);
	add(&l, ".git", 'd', 0);
	add(&l, ".git/HEAD", 'f', 23);
	add(&l, ".git/objects", 'd', 0);
	add(&l, ".git/objects/ab", 'f', 100);
	add(&l, ".git-blame-ignore", 'f', 5);	/* sorts inside .git's run */
	add(&l, "src", 'd', 0);
	add(&l, "src/__pycache__", 'd', 0);
	add(&l, "src/__pycache__/a.cpython-312.pyc", 'f', 7);
	add(&l, "src/app.py", 'f', 3);
	add(&l, "venv", 'd', 0);		/* not a virtualenv: no pyvenv.cfg */
	add(&l, "venv/notes.txt", 'f', 1);
	add(&l, "env2", 'd', 0);
	add(&l, "env2/pyvenv.cfg", 'f', 10);
	add(&l, "env2/bin", 'd', 0);
	add(&l, "env2/bin/python", 'l', 0);
	got = scan(&l);
	assert_string_equal(got,
	    "[{\"class\":\"vcs\",\"rule\":\"vcs-git\",\"severity\":\"high\","
	    "\"path\":\".git\",\"entries\":4,\"bytes\":123,\"in_image\":false,"
	    "\"fix\":\"add `.git` (and `**/.git`) to .dockerignore\"},"
	    "{\"class\":\"venv\",\"rule\":\"venv-python\",\"severity\":\"high\","
	    "\"path\":\"env2\",\"entries\":4,\"bytes\":10,\"in_image\":false,"
	    "\"fix\":\"add the virtualenv directory to .dockerignore and install "
	    "dependencies in the image\"},"
	    "{\"class\":\"pycache\",\"rule\":\"pycache\",\"severity\":\"low\","
	    "\"path\":\"src/__pycache__\",\"entries\":2,\"bytes\":7,"
	    "\"in_image\":false,\"fix\":\"add `**/__pycache__` and "
	    "`**/*.py[co]` to .dockerignore\"}]");
	free(got);
	entry_list_free(&l);
}

static void
test_dotenv_and_decoys(void **state)
{
	struct entry_list l;
	char *got;

	(void)state;
	entry_list_init(&l);
	add(&l, ".env", 'f', 12);
	add(&l, ".env.example", 'f', 12);
	add(&l, ".env.production", 'f', 9);
	add(&l, ".envrc", 'f', 1);
	add(&l, "cfg", 'd', 0);
	add(&l, "cfg/.env.sample", 'f', 1);
	add(&l, "cfg/.env.local", 'f', 4);
	add(&l, "dotenv.py", 'f', 1);
	got = scan(&l);
	assert_string_equal(got,
	    "[{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"severity\":\"high\","
	    "\"path\":\".env\",\"entries\":1,\"bytes\":12,\"in_image\":false,"
	    "\"fix\":\"add `.env` and `.env.*` (keeping `!.env.example`) to "
	    ".dockerignore\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"severity\":\"high\","
	    "\"path\":\".env.production\",\"entries\":1,\"bytes\":9,\"in_image\":false,"
	    "\"fix\":\"add `.env` and `.env.*` (keeping `!.env.example`) to "
	    ".dockerignore\"},"
	    "{\"class\":\"secret\",\"rule\":\"secret-dotenv\",\"severity\":\"high\","
	    "\"path\":\"cfg/.env.local\",\"entries\":1,\"bytes\":4,\"in_image\":false,"
	    "\"fix\":\"add `.env` and `.env.*` (keeping `!.env.example`) to "
	    ".dockerignore\"}]");
	free(got);
	entry_list_free(&l);
}

static void
test_diff(void **state)
{
	json_t *a = json_loads("[{\"rule\":\"r\",\"path\":\"x\"},{\"rule\":\"r\",\"path\":\"y\"}]", 0, NULL);
	json_t *b = json_loads("[{\"rule\":\"r\",\"path\":\"y\",\"bytes\":3}]", 0, NULL);
	json_t *d = hazard_diff(a, b);
	char *s = json_dumps(d, JSON_COMPACT);

	(void)state;
	assert_string_equal(s, "[{\"rule\":\"r\",\"path\":\"x\"}]");
	free(s);
	json_decref(a);
	json_decref(b);
	json_decref(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped_directories),
		cmocka_unit_test(test_dotenv_and_decoys),
		cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
