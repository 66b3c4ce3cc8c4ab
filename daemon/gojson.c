/*
 * Go's encoding/json as far as the Dockerfile frontend uses it: whether a
 * text is one valid JSON value (json.Unmarshal's verdict), the strings of a
 * top-level array (parseJSON, for exec-form instructions) and one string
 * member of a top-level object (DetectSyntax).  Strings are decoded as Go
 * decodes them: bad UTF-8 and lone surrogates become U+FFFD.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gojson.h"
#include "gopath.h"
#include "strbuf.h"

#define JSON_MAX_DEPTH 10000	/* encoding/json's maxNestingDepth */

struct json {
	const unsigned char *s;
	size_t len, pos;
};

static void
json_ws(struct json *j)
{
	while (j->pos < j->len && (j->s[j->pos] == ' ' ||
	    j->s[j->pos] == '\t' || j->s[j->pos] == '\n' ||
	    j->s[j->pos] == '\r'))
		j->pos++;
}

static long
json_hex4(const struct json *j, size_t at)
{
	long v = 0;
	size_t i;

	if (at + 4 > j->len)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned c = j->s[at + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string at j->pos ('"'); decoded into out when out is not NULL. */
static int
json_string(struct json *j, struct strbuf *out)
{
	j->pos++;
	for (;;) {
		unsigned c;

		if (j->pos >= j->len)
			return -1;
		c = j->s[j->pos];
		if (c == '"') {
			j->pos++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			long r;

			if (j->pos + 1 >= j->len)
				return -1;
			c = j->s[j->pos + 1];
			j->pos += 2;
			switch (c) {
			case '"': case '\\': case '/':
				r = (long)c;
				break;
			case 'b': r = '\b'; break;
			case 'f': r = '\f'; break;
			case 'n': r = '\n'; break;
			case 'r': r = '\r'; break;
			case 't': r = '\t'; break;
			case 'u':
				r = json_hex4(j, j->pos);
				if (r < 0)
					return -1;
				j->pos += 4;
				if (r >= 0xD800 && r < 0xE000) {
					long r2 = -1;

					if (j->pos + 6 <= j->len &&
					    j->s[j->pos] == '\\' &&
					    j->s[j->pos + 1] == 'u')
						r2 = json_hex4(j, j->pos + 2);
					if (r < 0xDC00 && r2 >= 0xDC00 &&
					    r2 < 0xE000) {
						r = 0x10000 + ((r - 0xD800) << 10) +
						    (r2 - 0xDC00);
						j->pos += 6;
					} else
						r = 0xFFFD;
				}
				break;
			default:
				return -1;
			}
			if (out != NULL)
				strbuf_add_rune(out, r);
			continue;
		}
		{
			uint32_t r;
			size_t w = gopath_decode_rune(j->s + j->pos,
			    j->len - j->pos, &r);

			if (out != NULL) {
				if (r == 0xFFFD && w == 1)
					strbuf_add_rune(out, r);
				else
					strbuf_add(out,
					    (const char *)j->s + j->pos, w);
			}
			j->pos += w;
		}
	}
}

static int
json_number(struct json *j)
{
	size_t p = j->pos;
	const unsigned char *s = j->s;

	if (p < j->len && s[p] == '-')
		p++;
	if (p >= j->len)
		return -1;
	if (s[p] == '0')
		p++;
	else if (s[p] >= '1' && s[p] <= '9') {
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	} else
		return -1;
	if (p < j->len && s[p] == '.') {
		p++;
		if (p >= j->len || s[p] < '0' || s[p] > '9')
			return -1;
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < j->len && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < j->len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= j->len || s[p] < '0' || s[p] > '9')
			return -1;
		while (p < j->len && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	j->pos = p;
	return 0;
}

/*
 * Validate the whole text as one JSON value.  For a top-level array, string
 * elements are collected in *elems and *nonstring counts the others; for a
 * top-level object, *value gets the last member named `member` if it is a
 * string (NULL if the last one is not).  Iterative: depth is hostile input.
 */
static int
json_parse(const char *text, size_t len, char *top, struct strbuf_list *elems,
    size_t *nonstring, const char *member, char **value)
{
	struct json j = { (const unsigned char *)text, len, 0 };
	char *stack;
	size_t depth = 0;
	int rc = -1;
	bool want_value = true, is_key = false;
	char *key = NULL;

	stack = malloc(JSON_MAX_DEPTH + 1);
	if (stack == NULL)
		return -1;
	*top = 0;
	for (;;) {
		json_ws(&j);
		if (want_value) {
			unsigned c;
			bool is_string = false;
			struct strbuf sv = { 0 };

			if (j.pos >= j.len)
				goto out;
			c = j.s[j.pos];
			if (depth == 0)
				*top = (char)c;
			if (c == '[' || c == '{') {
				if (depth == 1 && stack[0] == '[' &&
				    nonstring != NULL)
					(*nonstring)++;
				if (depth == 1 && stack[0] == '{' &&
				    value != NULL && key != NULL &&
				    strcmp(key, member) == 0) {
					free(*value);
					*value = NULL;
				}
				if (depth >= JSON_MAX_DEPTH)
					goto out;
				stack[depth++] = (char)c;
				j.pos++;
				json_ws(&j);
				if (j.pos < j.len && j.s[j.pos] ==
				    (c == '[' ? ']' : '}')) {
					j.pos++;
					depth--;
					want_value = false;
				} else if (c == '{') {
					if (j.pos >= j.len || j.s[j.pos] != '"')
						goto out;
					is_key = true;
				}
				if (!want_value)
					goto after_value;
				if (c == '[')
					continue;
				goto read_key;
			}
			if (c == '"') {
				bool keep = depth == 1 && ((stack[0] == '[' &&
				    elems != NULL) || (stack[0] == '{' &&
				    value != NULL && key != NULL &&
				    strcmp(key, member) == 0));

				if (json_string(&j, keep ? &sv : NULL) == -1) {
					free(sv.p);
					goto out;
				}
				is_string = true;
				if (keep && stack[0] == '[')
					strbuf_list_push(elems,
					    strbuf_take(&sv));
				else if (keep) {
					free(*value);
					*value = strbuf_take(&sv);
				}
				free(sv.p);
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				if (json_number(&j) == -1)
					goto out;
			} else if (j.len - j.pos >= 4 &&
			    memcmp(j.s + j.pos, "true", 4) == 0)
				j.pos += 4;
			else if (j.len - j.pos >= 5 &&
			    memcmp(j.s + j.pos, "false", 5) == 0)
				j.pos += 5;
			else if (j.len - j.pos >= 4 &&
			    memcmp(j.s + j.pos, "null", 4) == 0)
				j.pos += 4;
			else
				goto out;
			if (!is_string && depth == 1) {
				if (stack[0] == '[' && nonstring != NULL)
					(*nonstring)++;
				if (stack[0] == '{' && value != NULL &&
				    key != NULL && strcmp(key, member) == 0) {
					free(*value);
					*value = NULL;
				}
			}
			want_value = false;
		}
after_value:
		json_ws(&j);
		if (depth == 0) {
			rc = j.pos == j.len ? 0 : -1;
			goto out;
		}
		if (j.pos >= j.len)
			goto out;
		if (j.s[j.pos] == ',') {
			j.pos++;
			want_value = true;
			if (stack[depth - 1] == '[')
				continue;
			json_ws(&j);
			if (j.pos >= j.len || j.s[j.pos] != '"')
				goto out;
			is_key = true;
			goto read_key;
		}
		if (j.s[j.pos] == (stack[depth - 1] == '[' ? ']' : '}')) {
			j.pos++;
			depth--;
			want_value = false;
			goto after_value;
		}
		goto out;
read_key:
		if (is_key) {
			struct strbuf ks = { 0 };

			is_key = false;
			if (json_string(&j, depth == 1 ? &ks : NULL) == -1) {
				free(ks.p);
				goto out;
			}
			if (depth == 1) {
				free(key);
				key = strbuf_take(&ks);
			}
			free(ks.p);
			json_ws(&j);
			if (j.pos >= j.len || j.s[j.pos] != ':')
				goto out;
			j.pos++;
			want_value = true;
		}
	}
out:
	free(key);
	free(stack);
	return rc;
}

int
gojson_string_array(const char *text, size_t len, char ***elems,
    size_t *nelems)
{
	char top;
	size_t nonstring = 0;
	struct strbuf_list v = { 0 };

	*elems = NULL;
	*nelems = 0;
	if (json_parse(text, len, &top, &v, &nonstring, NULL, NULL) == -1 ||
	    top != '[' || v.bad) {
		strbuf_list_free(&v);
		return 0;
	}
	if (nonstring > 0) {
		strbuf_list_free(&v);
		return -1;
	}
	*elems = v.v;
	*nelems = v.n;
	return 1;
}

bool
gojson_object_string(const char *text, size_t len, const char *member,
    char **value)
{
	char top;

	*value = NULL;
	if (json_parse(text, len, &top, NULL, NULL, member, value) == 0 &&
	    top == '{' && *value != NULL)
		return true;
	free(*value);
	*value = NULL;
	return false;
}
