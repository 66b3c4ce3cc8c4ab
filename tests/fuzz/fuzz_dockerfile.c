/*
 * libFuzzer target for the Dockerfile reader, the shell-word lexer and the
 * build plan: any input must give a plan or an error, never a crash, a leak
 * or undefined behaviour.  `make fuzz` builds it (with every engine
 * source) and runs it; by hand:
 *   clang -std=c11 -D_GNU_SOURCE -Iinclude -g -O1 \
 *       -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_dockerfile.c \
 *       daemon/[a-z]*.c $(pkg-config --cflags --libs libpcre2-8 libcrypto) \
 *       -o build/fuzz_dockerfile
 *   ./build/fuzz_dockerfile -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buildplan.h"
#include "dfdirective.h"
#include "dockerfile.h"
#include "shellword.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct shellword_var vars[] = {
		{ "A", "a*b?c" }, { "E", "" }, { "P", "/x/y/z.tar.gz" },
	};
	static const struct shellword_env env = { vars, 3 };
	static const char *const args[] = { "A=1", "TARGETARCH=arm64" };
	static const char *const named[] = { "deps" };
	const char *text = (const char *)data;
	struct buildplan_options opt = { NULL, args, 2, named, 1 };
	struct buildplan plan;
	struct ctx_error err;
	struct shellword_lex lex = { .escape = '\\' };
	char *s, **w;
	size_t n;

	/* the plan, with and without options */
	if (buildplan_compute(text, size, "Dockerfile", NULL, &plan, &err) == 0)
		buildplan_free(&plan);
	if (size > 0) {
		opt.target = (data[0] & 1) ? "deps" : "build";
		if (buildplan_compute(text, size, "Dockerfile", &opt, &plan,
		    &err) == 0)
			buildplan_free(&plan);
	}
	if (dfdirective_detect_syntax(text, size, &s))
		free(s);

	/* the lexer on the raw bytes, in both escape modes */
	lex.escape = (size > 0 && (data[0] & 2)) ? '`' : '\\';
	lex.raw_quotes = size > 0 && (data[0] & 4);
	lex.skip_unset_env = size > 0 && (data[0] & 8);
	if (shellword_process(&lex, text, size, &env, &s, &err) == 0)
		free(s);
	if (shellword_process_words(&lex, text, size, &env, &w, &n, &err) == 0)
		shellword_words_free(w, n);
	return 0;
}
