/*
 * libFuzzer target for the Dockerfile analysis (dfuse.c over dfgraph.c):
 * any Dockerfile text against a fixed context (directories, dot files,
 * symbolic links, a link loop, names with wildcard characters) must give
 * per-entry bits or an error, never a crash, a leak or undefined behaviour;
 * and an entry is used only with a line, and a directory whenever something
 * below it is.  `make fuzz` builds it; by hand:
 *   clang -std=c11 -D_GNU_SOURCE -Iinclude -g -O1 \
 *       -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_dfuse.c \
 *       daemon/[a-z]*.c $(pkg-config --cflags --libs libpcre2-8 libcrypto \
 *       jansson libsystemd) -o build-fuzz/fuzz_dfuse
 *   ./build-fuzz/fuzz_dfuse -max_total_time=60 -dict=tests/fuzz/dfuse.dict
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfuse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* path, type, link target */
static const char *const ctx[][3] = {
	{ ".env", "f", NULL }, { "Dockerfile", "f", NULL },
	{ "app", "d", NULL }, { "app/.env", "f", NULL },
	{ "app/main.py", "f", NULL }, { "app/sub", "d", NULL },
	{ "app/sub/x.md", "f", NULL }, { "app-v2", "l", "app" },
	{ "abs", "l", "/conf/../app/sub" }, { "conf", "d", NULL },
	{ "conf/*", "f", NULL }, { "conf/[x]", "f", NULL },
	{ "conf/a.ini", "f", NULL }, { "loop", "l", "loop/x" },
	{ "up", "l", "../../.." }, { "z z", "f", NULL },
};

static void
check(const struct entry_list *l, const struct dfuse *u)
{
	size_t i, k;

	if (u->n != l->n)
		abort();
	for (i = 0; i < l->n; i++) {
		if ((u->use[i] != 0) != (u->line[i] != 0) ||
		    (u->use[i] & ~(DFUSE_LAYER | DFUSE_MOUNT)))
			abort();
		/* a used entry's directories are used with the same bits */
		for (k = 0; k < l->n; k++)
			if (l->v[k].type == ENTRY_DIR &&
			    l->v[i].path_len > l->v[k].path_len &&
			    l->v[i].path[l->v[k].path_len] == '/' &&
			    memcmp(l->v[i].path, l->v[k].path,
			    l->v[k].path_len) == 0 &&
			    (u->use[i] & ~u->use[k]) != 0)
				abort();
	}
	if (u->whole_layer && !u->whole)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const args[] = { "A=app", "B=*" };
	static const char *const named[] = { "deps" };
	struct buildplan_options opt = { NULL, args, 2, named, 1 };
	struct entry_list l;
	struct dfuse u;
	struct ctx_error err;
	size_t i;

	entry_list_init(&l);
	for (i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++) {
		struct entry *e = entry_list_add(&l, ctx[i][0],
		    strlen(ctx[i][0]), &err);

		if (e == NULL)
			abort();
		e->type = ctx[i][1][0];
		if (ctx[i][2] != NULL && (e->link = strdup(ctx[i][2])) == NULL)
			abort();
	}
	entry_list_sort(&l);
	if (dfuse_analyze((const char *)data, size, "Dockerfile", NULL, &l, &u,
	    &err) == 0) {
		check(&l, &u);
		dfuse_free(&u);
	} else if (u.use != NULL)
		abort();
	if (size > 0) {
		opt.target = (data[0] & 1) ? "deps" : "build";
		if (dfuse_analyze((const char *)data, size, "Dockerfile", &opt,
		    &l, &u, &err) == 0) {
			check(&l, &u);
			dfuse_free(&u);
		}
	}
	entry_list_free(&l);
	return 0;
}
