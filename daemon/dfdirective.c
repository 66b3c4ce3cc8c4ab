/*
 * BuildKit's parser directives (parser/directives.go): the `# syntax=`,
 * `# escape=` and `# check=` lines a Dockerfile may open with, and the
 * frontend's DetectSyntax (spec bk-v1 rule 2.3), which also accepts `//`
 * directives and a JSON object.  Pinned by tests/unit/test_dockerfile.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfdirective.h"
#include "dockerfile.h"
#include "gojson.h"
#include "gopath.h"
#include "goregex.h"
#include "strbuf.h"

int
dfdirective_parse_line(struct dfdirective *d, const char *line, size_t len,
    const char **key, size_t *klen, const char **val, size_t *vlen)
{
	size_t pl = strlen(d->prefix), i, ks, ke, vs, ve;
	bool *seen;

	if (d->done)
		return 0;
	if (len < pl || memcmp(line, d->prefix, pl) != 0) {
		d->done = true;
		return 0;
	}
	line += pl;
	len -= pl;
	gopath_trim_left_space(&line, &len);
	/* ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ */
	i = 0;
	if (len == 0 || !((line[0] >= 'a' && line[0] <= 'z') ||
	    (line[0] >= 'A' && line[0] <= 'Z'))) {
		d->done = true;
		return 0;
	}
	ks = 0;
	while (i < len && ((line[i] >= 'a' && line[i] <= 'z') ||
	    (line[i] >= 'A' && line[i] <= 'Z') ||
	    (line[i] >= '0' && line[i] <= '9')))
		i++;
	ke = i;
	while (i < len && goregex_is_space((unsigned char)line[i]))
		i++;
	if (i >= len || line[i] != '=' || memchr(line, '\n', len) != NULL) {
		d->done = true;
		return 0;
	}
	i++;
	if (i >= len) {
		d->done = true;
		return 0;
	}
	vs = i;
	while (vs < len && goregex_is_space((unsigned char)line[vs]))
		vs++;
	ve = len;
	while (ve > vs && goregex_is_space((unsigned char)line[ve - 1]))
		ve--;
	if (ve == vs) {
		/* all blanks: the lazy group backtracks into one of them */
		vs = len - 1;
		ve = len;
	}
	if (ke - ks == 6 && strncasecmp(line, "syntax", 6) == 0)
		seen = &d->seen_syntax;
	else if (ke - ks == 6 && strncasecmp(line, "escape", 6) == 0)
		seen = &d->seen_escape;
	else if (ke - ks == 5 && strncasecmp(line, "check", 5) == 0)
		seen = &d->seen_check;
	else {
		d->done = true;
		return 0;
	}
	*key = line + ks;
	*klen = ke - ks;
	if (*seen)
		return -1;
	*seen = true;
	*val = line + vs;
	*vlen = ve - vs;
	return 1;
}

static bool
detect_with(const char *buf, size_t len, const char *prefix, char **syntax)
{
	struct dfdirective d = { .prefix = prefix };
	size_t pos = 0;

	while (pos < len && !d.done) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, l = end - pos;
		const char *k, *v;
		size_t kl, vl;
		int r;

		if (l > DOCKERFILE_MAX_LINE)
			break;	/* bufio.Scanner gives up */
		if (l > 0 && buf[pos + l - 1] == '\r')
			l--;
		r = dfdirective_parse_line(&d, buf + pos, l, &k, &kl, &v, &vl);
		if (r == -1)
			break;
		if (r == 1 && kl == 6 && strncasecmp(k, "syntax", 6) == 0) {
			const char *sp = memchr(v, ' ', vl);

			*syntax = strbuf_dup(v, sp ? (size_t)(sp - v) : vl);
			return *syntax != NULL;
		}
		pos = nl ? end + 1 : len;
	}
	return false;
}

bool
dfdirective_detect_syntax(const char *buf, size_t len, char **syntax)
{
	*syntax = NULL;
	if (len > DOCKERFILE_MAX_SIZE)
		return false;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	if (len >= 2 && buf[0] == '#' && buf[1] == '!') {
		const char *nl = memchr(buf, '\n', len);

		if (nl == NULL)
			len = 0;
		else {
			len -= (size_t)(nl + 1 - buf);
			buf = nl + 1;
		}
	}
	if (detect_with(buf, len, "#", syntax) ||
	    detect_with(buf, len, "//", syntax))
		return true;
	return gojson_object_string(buf, len, "syntax", syntax);
}
