/*
 * What a Dockerfile source names, by its text alone: a URL, a git
 * repository (rule 4.1 of the BuildKit spec), an image reference
 * (distribution/reference ParseNormalizedNamed, as FROM checks it).
 * Stateless; used by dfgraph.c.
 */
#include <stdbool.h>
#include <string.h>

#include "dfsource.h"

bool
dfsource_is_http(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static bool
isalnumc(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* dfgitutil.ParseGitRef, as far as rule 4.1 needs it. */
bool
dfsource_is_git(const char *s)
{
	const char *p;

	if (strncmp(s, "git://", 6) == 0 || strncmp(s, "ssh://", 6) == 0)
		return true;
	if (dfsource_is_http(s)) {
		size_t n = strcspn(s, "#?");

		return n >= 4 && strncmp(s + n - 4, ".git", 4) == 0;
	}
	/* scp-like user@host:path */
	for (p = s; *p && (isalnumc(*p) || strchr("_.+-", *p)); p++)
		;
	if (p == s || *p != '@')
		return false;
	s = ++p;
	while (*p && *p != '/' && *p != ':')
		p++;
	return p > s && *p == ':';
}


/* ---- image references (distribution/reference ParseNormalizedNamed) ---- */

static bool
lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool
ref_path_component(const char *p, size_t n)
{
	size_t i = 0;

	for (;;) {
		size_t st = i;

		while (i < n && lower_alnum(p[i]))
			i++;
		if (i == st)
			return false;
		if (i == n)
			return true;
		if (p[i] == '.')
			i++;
		else if (p[i] == '_') {
			i++;
			if (i < n && p[i] == '_')
				i++;
		} else if (p[i] == '-') {
			while (i < n && p[i] == '-')
				i++;
		} else
			return false;
	}
}

/* domain-name(:port)?, components [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? */
static bool
ref_domain(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t dn = colon ? (size_t)(colon - p) : n, i = 0;

	if (p[0] == '[')
		return false;	/* IPv6 literals: not modelled */
	if (colon != NULL) {
		size_t k;

		if (colon + 1 == p + n)
			return false;
		for (k = dn + 1; k < n; k++)
			if (p[k] < '0' || p[k] > '9')
				return false;
	}
	for (;;) {
		size_t st = i;

		while (i < dn && (isalnumc(p[i]) || p[i] == '-'))
			i++;
		if (i == st || p[st] == '-' || p[i - 1] == '-')
			return false;
		if (i == dn)
			return true;
		if (p[i] != '.')
			return false;
		i++;
	}
}

static bool
word_char(char c)
{
	return isalnumc(c) || c == '_';
}

/* NULL when s is a valid reference, else why not. */
const char *
dfsource_ref_check(const char *s)
{
	size_t n = strlen(s), i, dl, nl;
	const char *slash = strchr(s, '/'), *rem, *at, *end, *p;
	bool domain;

	if (n == 64 && strspn(s, "0123456789abcdef") == 64)
		return "cannot specify 64-byte hexadecimal strings";
	domain = slash != NULL;
	if (domain) {
		dl = (size_t)(slash - s);
		domain = memchr(s, '.', dl) || memchr(s, ':', dl) ||
		    (dl == 9 && strncmp(s, "localhost", 9) == 0);
		for (i = 0; i < dl && !domain; i++)
			if (s[i] >= 'A' && s[i] <= 'Z')
				domain = true;
	}
	rem = domain ? slash + 1 : s;
	if (domain && !ref_domain(s, (size_t)(slash - s)))
		return "invalid reference format";
	at = strchr(rem, '@');
	end = at ? at : rem + strlen(rem);
	/* the remote name runs to the first ':' (the lowercase check) */
	for (p = rem; p < end && *p != ':'; p++)
		if (*p >= 'A' && *p <= 'Z')
			return "invalid reference format: repository name must "
			    "be lowercase";
	/* path components, then an optional :tag */
	for (p = rem;;) {
		const char *q = p;

		while (q < end && *q != '/' && *q != ':')
			q++;
		if (!ref_path_component(p, (size_t)(q - p)))
			return "invalid reference format";
		if (q < end && *q == '/') {
			p = q + 1;
			continue;
		}
		nl = (size_t)(q - s);
		if (nl + (domain ? 0 : 10) > 255)
			return "repository name must not be more than 255 "
			    "characters";
		if (q < end) {
			const char *t = q + 1;

			if (t == end || !word_char(*t) || end - t > 128)
				return "invalid reference format";
			for (t++; t < end; t++)
				if (!word_char(*t) && *t != '.' && *t != '-')
					return "invalid reference format";
		}
		break;
	}
	if (at != NULL) {
		const char *d = at + 1, *c = strchr(d, ':');
		size_t hl;

		if (c == NULL)
			return "invalid reference format";
		hl = strlen(c + 1);
		if (strspn(c + 1, "0123456789abcdefABCDEF") != hl || hl < 32)
			return "invalid reference format";
		if (!((c - d == 6 && strncmp(d, "sha256", 6) == 0 && hl == 64) ||
		    (c - d == 6 && strncmp(d, "sha384", 6) == 0 && hl == 96) ||
		    (c - d == 6 && strncmp(d, "sha512", 6) == 0 && hl == 128)))
			return "unsupported digest algorithm or invalid length";
		if (strspn(c + 1, "0123456789abcdef") != hl)
			return "invalid checksum digest format";
	}
	return NULL;
}
