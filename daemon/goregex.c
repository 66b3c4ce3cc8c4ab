/*
 * Go's regexp/syntax parser (Perl flags, as regexp.Compile uses) re-emitted
 * as an unambiguous PCRE2 pattern, so PCRE2 never sees a construct whose
 * meaning differs between the two engines, and refusing what Go refuses.
 * Pinned by tests/unit/test_match.c (through the patternmatcher vectors).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gopath.h"
#include "goregex.h"

#define GOREGEX_MAXRUNE		0x10FFFFu
#define GOREGEX_MAXREPEAT	1000

/* A growable byte buffer. */
struct goregex_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
goregex_buf_reserve(struct goregex_buf *b, size_t more)
{
	size_t ncap;
	char *np;

	if (b->oom || b->len + more <= b->cap)
		return;
	ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + more)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = ncap;
}

static void
goregex_buf_add(struct goregex_buf *b, const void *s, size_t n)
{
	goregex_buf_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
goregex_buf_str(struct goregex_buf *b, const char *s)
{
	goregex_buf_add(b, s, strlen(s));
}

static void
goregex_buf_insert(struct goregex_buf *b, size_t at, const char *s)
{
	size_t n = strlen(s);

	goregex_buf_reserve(b, n);
	if (b->oom)
		return;
	memmove(b->p + at + n, b->p + at, b->len - at);
	memcpy(b->p + at, s, n);
	b->len += n;
}

static void
goregex_buf_hex(struct goregex_buf *b, uint32_t c)
{
	char tmp[16];
	int i = (int)sizeof(tmp);

	tmp[--i] = '}';
	do {
		tmp[--i] = "0123456789abcdef"[c & 15];
		c >>= 4;
	} while (c != 0);
	tmp[--i] = '{';
	tmp[--i] = 'x';
	tmp[--i] = '\\';
	goregex_buf_add(b, tmp + i, sizeof(tmp) - (size_t)i);
}

struct goregex_range {
	uint32_t lo, hi;
};

struct goregex_class {
	struct goregex_range *r;
	size_t n, cap;
	struct goregex_buf props; /* \p items, already in PCRE2 spelling */
	bool oom;
};

struct goregex_rep {
	int min, max;
	bool counted;		/* x{n,m} (OpRepeat), not * + ? */
};

#define GOREGEX_REPCHAIN	16
#define GOREGEX_GROUPS	64

struct goregex_xl {
	const unsigned char *s;
	size_t n, i;
	struct goregex_buf *out;
	long last;		/* offset of the last atom in out; -1: none */
	bool lastrep;		/* the previous token was a repetition */
	struct goregex_rep chain[GOREGEX_REPCHAIN]; /* last atom's repeats */
	size_t nchain;
	size_t groups[GOREGEX_GROUPS];
	size_t ngroups;
	struct goregex_class cls;
};

static const struct goregex_range goregex_perl_d[] = { { '0', '9' } };
static const struct goregex_range goregex_perl_s[] = {
	{ '\t', '\n' }, { '\f', '\r' }, { ' ', ' ' } };
static const struct goregex_range goregex_perl_w[] = {
	{ '0', '9' }, { 'A', 'Z' }, { '_', '_' }, { 'a', 'z' } };

/* RE2's \s, [\t\n\f\r ], which BuildKit's parser also uses on raw bytes
 * (directives, the ONBUILD prefix). */
bool
goregex_is_space(unsigned char c)
{
	size_t i;

	for (i = 0; i < sizeof(goregex_perl_s) / sizeof(goregex_perl_s[0]); i++)
		if (c >= goregex_perl_s[i].lo && c <= goregex_perl_s[i].hi)
			return true;
	return false;
}

struct goregex_posix {
	const char *name;
	struct goregex_range r[4];
	size_t n;
};

/* regexp/syntax perl_groups.go posixGroup: all ASCII. */
static const struct goregex_posix goregex_posix_groups[] = {
	{ "alnum", { { '0', '9' }, { 'A', 'Z' }, { 'a', 'z' } }, 3 },
	{ "alpha", { { 'A', 'Z' }, { 'a', 'z' } }, 2 },
	{ "ascii", { { 0, 0x7F } }, 1 },
	{ "blank", { { '\t', '\t' }, { ' ', ' ' } }, 2 },
	{ "cntrl", { { 0, 0x1F }, { 0x7F, 0x7F } }, 2 },
	{ "digit", { { '0', '9' } }, 1 },
	{ "graph", { { '!', '~' } }, 1 },
	{ "lower", { { 'a', 'z' } }, 1 },
	{ "print", { { ' ', '~' } }, 1 },
	{ "punct", { { '!', '/' }, { ':', '@' }, { '[', '`' }, { '{', '~' } }, 4 },
	{ "space", { { '\t', '\r' }, { ' ', ' ' } }, 2 },
	{ "upper", { { 'A', 'Z' } }, 1 },
	{ "word", { { '0', '9' }, { 'A', 'Z' }, { '_', '_' }, { 'a', 'z' } }, 4 },
	{ "xdigit", { { '0', '9' }, { 'A', 'F' }, { 'a', 'f' } }, 3 },
};

/* Go 1.24 unicode.Categories keys (Unicode 15.0). */
static const char *const goregex_categories[] = {
	"C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu",
	"M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe",
	"Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp",
	"Zs",
};

/* Go 1.24 unicode.Scripts keys (Unicode 15.0). */
static const char *const goregex_scripts[] = {
	"Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian",
	"Avestan", "Balinese", "Bamum", "Bassa_Vah", "Batak", "Bengali",
	"Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese", "Buhid",
	"Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma",
	"Cham", "Cherokee", "Chorasmian", "Common", "Coptic", "Cuneiform",
	"Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret", "Devanagari",
	"Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan",
	"Elymaic", "Ethiopic", "Georgian", "Glagolitic", "Gothic", "Grantha",
	"Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han", "Hangul",
	"Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana",
	"Imperial_Aramaic", "Inherited", "Inscriptional_Pahlavi",
	"Inscriptional_Parthian", "Javanese", "Kaithi", "Kannada", "Katakana",
	"Kawi", "Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer",
	"Khojki", "Khudawadi", "Lao", "Latin", "Lepcha", "Limbu", "Linear_A",
	"Linear_B", "Lisu", "Lycian", "Lydian", "Mahajani", "Makasar",
	"Malayalam", "Mandaic", "Manichaean", "Marchen", "Masaram_Gondi",
	"Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
	"Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani",
	"Myanmar", "Nabataean", "Nag_Mundari", "Nandinagari", "New_Tai_Lue",
	"Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki",
	"Old_Hungarian", "Old_Italic", "Old_North_Arabian", "Old_Permic",
	"Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic",
	"Old_Uyghur", "Oriya", "Osage", "Osmanya", "Pahawh_Hmong", "Palmyrene",
	"Pau_Cin_Hau", "Phags_Pa", "Phoenician", "Psalter_Pahlavi", "Rejang",
	"Runic", "Samaritan", "Saurashtra", "Sharada", "Shavian", "Siddham",
	"SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo",
	"Sundanese", "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le",
	"Tai_Tham", "Tai_Viet", "Takri", "Tamil", "Tangsa", "Tangut", "Telugu",
	"Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta", "Toto", "Ugaritic",
	"Vai", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi",
	"Zanabazar_Square", NULL,
};

/* Unicode 15 scripts PCRE2 10.42 does not know: spelled out as ranges. */
static const struct goregex_range goregex_kawi[] = {
	{ 0x11F00, 0x11F10 }, { 0x11F12, 0x11F3A }, { 0x11F3E, 0x11F59 } };
static const struct goregex_range goregex_nag_mundari[] = {
	{ 0x1E4D0, 0x1E4F9 } };

static void
goregex_cls_add(struct goregex_class *c, uint32_t lo, uint32_t hi)
{
	struct goregex_range *nr;
	size_t ncap;

	if (c->oom)
		return;
	if (c->n == c->cap) {
		ncap = c->cap ? c->cap * 2 : 16;
		if ((nr = realloc(c->r, ncap * sizeof(*nr))) == NULL) {
			c->oom = true;
			return;
		}
		c->r = nr;
		c->cap = ncap;
	}
	c->r[c->n].lo = lo;
	c->r[c->n].hi = hi;
	c->n++;
}

/* Adds a sorted, disjoint range list, or its complement over all runes. */
static void
goregex_cls_add_list(struct goregex_class *c, const struct goregex_range *r,
    size_t n, bool negate)
{
	uint32_t next = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!negate)
			goregex_cls_add(c, r[i].lo, r[i].hi);
		else if (r[i].lo > next)
			goregex_cls_add(c, next, r[i].lo - 1);
		next = r[i].hi + 1;
	}
	if (negate && next <= GOREGEX_MAXRUNE)
		goregex_cls_add(c, next, GOREGEX_MAXRUNE);
}

static int
goregex_range_cmp(const void *a, const void *b)
{
	const struct goregex_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static bool
goregex_isalnum(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

static int
goregex_unhex(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1;
}

static void
goregex_xl_range_out(struct goregex_buf *b, uint32_t lo, uint32_t hi)
{
	goregex_buf_hex(b, lo);
	if (hi != lo) {
		goregex_buf_str(b, "-");
		goregex_buf_hex(b, hi);
	}
}

/*
 * Emits the class collected in x->cls.  Surrogates are cut out of the
 * ranges (PCRE2 rejects them in UTF mode, and no subject holds one).
 */
static void
goregex_xl_emit_class(struct goregex_xl *x, bool neg)
{
	struct goregex_class *c = &x->cls;
	struct goregex_buf *o = x->out;
	size_t i, w = 0, items = 0, start;
	uint32_t lo, hi;

	x->last = (long)o->len;
	x->nchain = 0;
	if (c->n > 0) {
		qsort(c->r, c->n, sizeof(*c->r), goregex_range_cmp);
		for (i = 1; i < c->n; i++) {
			if (c->r[i].lo <= c->r[w].hi + 1) {
				if (c->r[i].hi > c->r[w].hi)
					c->r[w].hi = c->r[i].hi;
			} else {
				c->r[++w] = c->r[i];
			}
		}
		c->n = w + 1;
	}
	start = o->len;
	goregex_buf_str(o, neg ? "[^" : "[");
	for (i = 0; i < c->n; i++) {
		lo = c->r[i].lo;
		hi = c->r[i].hi;
		if (lo < 0xD800) {
			goregex_xl_range_out(o, lo, hi < 0xD800 ? hi : 0xD7FF);
			items++;
		}
		if (hi > 0xDFFF) {
			goregex_xl_range_out(o, lo > 0xE000 ? lo : 0xE000, hi);
			items++;
		}
	}
	if (c->props.len > 0) {
		goregex_buf_add(o, c->props.p, c->props.len);
		items++;
	}
	if (items == 0) {
		o->len = start;
		goregex_buf_str(o, neg ? "[\\x{0}-\\x{10ffff}]" : "(?!)");
		return;
	}
	goregex_buf_str(o, "]");
}

static void
goregex_xl_literal(struct goregex_xl *x, uint32_t r)
{
	x->last = (long)x->out->len;
	x->nchain = 0;
	if (r >= 0xD800 && r <= 0xDFFF)
		goregex_buf_str(x->out, "(?!)"); /* no subject holds one */
	else if (goregex_isalnum(r))
		goregex_buf_add(x->out, &(char){ (char)r }, 1);
	else
		goregex_buf_hex(x->out, r);
}

static void
goregex_xl_atom(struct goregex_xl *x, const char *pcre)
{
	x->last = (long)x->out->len;
	x->nchain = 0;
	goregex_buf_str(x->out, pcre);
}

/* parseEscape at x->s[*pos] == '\\': one rune, or -1 (Go rejects it). */
static int
goregex_xl_escape(struct goregex_xl *x, size_t *pos, uint32_t *r)
{
	size_t t = *pos + 1, i;
	uint32_t c, d;
	int v, y, nhex;

	if (t >= x->n)
		return -1;		/* trailing backslash */
	t += gopath_decode_rune(x->s + t, x->n - t, &c);
	if (c < 0x80 && !goregex_isalnum(c)) {
		*r = c;
		goto done;
	}
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		/* a lone non-zero digit is a backreference: unsupported */
		if (t >= x->n || x->s[t] < '0' || x->s[t] > '7')
			return -1;
		/* FALLTHROUGH */
	case '0':
		*r = c - '0';
		for (i = 1; i < 3; i++) {
			if (t >= x->n || x->s[t] < '0' || x->s[t] > '7')
				break;
			*r = *r * 8 + (uint32_t)(x->s[t] - '0');
			t++;
		}
		goto done;
	case 'x':
		if (t >= x->n)
			return -1;
		t += gopath_decode_rune(x->s + t, x->n - t, &c);
		if (c == '{') {
			*r = 0;
			for (nhex = 0;; nhex++) {
				if (t >= x->n)
					return -1;
				t += gopath_decode_rune(x->s + t, x->n - t, &d);
				if (d == '}')
					break;
				if ((v = goregex_unhex(d)) < 0)
					return -1;
				*r = *r * 16 + (uint32_t)v;
				if (*r > GOREGEX_MAXRUNE)
					return -1;
			}
			if (nhex == 0)
				return -1;
			goto done;
		}
		v = goregex_unhex(c);
		if (t >= x->n)
			return -1;
		t += gopath_decode_rune(x->s + t, x->n - t, &d);
		y = goregex_unhex(d);
		if (v < 0 || y < 0)
			return -1;
		*r = (uint32_t)(v * 16 + y);
		goto done;
	case 'a': *r = '\a'; goto done;
	case 'f': *r = '\f'; goto done;
	case 'n': *r = '\n'; goto done;
	case 'r': *r = '\r'; goto done;
	case 't': *r = '\t'; goto done;
	case 'v': *r = '\v'; goto done;
	}
	return -1;
done:
	*pos = t;
	return 0;
}

static bool
goregex_name_is(const unsigned char *s, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(s, name, n) == 0;
}

/* Adds Go's table `name` (sign < 0: its complement) to the class. */
static int
goregex_xl_table(struct goregex_class *c, const unsigned char *name, size_t n,
    int sign)
{
	size_t i;

	if (goregex_name_is(name, n, "Any")) {
		if (sign > 0)
			goregex_cls_add(c, 0, GOREGEX_MAXRUNE);
		return 0;
	}
	if (goregex_name_is(name, n, "C")) {
		/* Go's C is Cc|Cf|Co|Cs; PCRE2's also holds Cn. */
		goregex_buf_str(&c->props, sign > 0 ?
		    "\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}" : "\\P{C}\\p{Cn}");
		return 0;
	}
	for (i = 0; i < sizeof(goregex_categories) /
	    sizeof(*goregex_categories); i++) {
		if (goregex_name_is(name, n, goregex_categories[i])) {
			goregex_buf_str(&c->props, sign > 0 ? "\\p{" : "\\P{");
			goregex_buf_str(&c->props, goregex_categories[i]);
			goregex_buf_str(&c->props, "}");
			return 0;
		}
	}
	if (goregex_name_is(name, n, "Kawi")) {
		goregex_cls_add_list(c, goregex_kawi, 3, sign < 0);
		return 0;
	}
	if (goregex_name_is(name, n, "Nag_Mundari")) {
		goregex_cls_add_list(c, goregex_nag_mundari, 1, sign < 0);
		return 0;
	}
	for (i = 0; goregex_scripts[i] != NULL; i++) {
		if (goregex_name_is(name, n, goregex_scripts[i])) {
			/* sc: the Script property, as Go; bare names mean scx */
			goregex_buf_str(&c->props,
			    sign > 0 ? "\\p{sc:" : "\\P{sc:");
			goregex_buf_str(&c->props, goregex_scripts[i]);
			goregex_buf_str(&c->props, "}");
			return 0;
		}
	}
	return -1;
}

/* parseUnicodeClass at \p or \P: adds to x->cls; -1 when Go rejects it. */
static int
goregex_xl_unicode(struct goregex_xl *x, size_t *pos)
{
	size_t p = *pos, t = p + 2, end;
	const unsigned char *name;
	size_t nlen;
	int sign = x->s[p + 1] == 'P' ? -1 : 1;
	uint32_t c;

	if (t >= x->n)
		return -1;
	t += gopath_decode_rune(x->s + t, x->n - t, &c);
	if (c != '{') {
		name = x->s + p + 2;
		nlen = t - (p + 2);
	} else {
		for (end = p; end < x->n && x->s[end] != '}'; end++)
			;
		if (end == x->n)
			return -1;
		name = x->s + p + 3;
		nlen = end - (p + 3);
		t = end + 1;
	}
	if (nlen > 0 && name[0] == '^') {
		sign = -sign;
		name++;
		nlen--;
	}
	if (goregex_xl_table(&x->cls, name, nlen, sign) < 0)
		return -1;
	*pos = t;
	return 0;
}

/* parsePerlClassEscape: \d \s \w and negations; false if not one. */
static bool
goregex_xl_perl(struct goregex_xl *x, size_t pos)
{
	const struct goregex_range *r;
	size_t n;

	if (pos + 1 >= x->n || x->s[pos] != '\\')
		return false;
	switch (x->s[pos + 1]) {
	case 'd': case 'D': r = goregex_perl_d; n = 1; break;
	case 's': case 'S': r = goregex_perl_s; n = 3; break;
	case 'w': case 'W': r = goregex_perl_w; n = 4; break;
	default: return false;
	}
	goregex_cls_add_list(&x->cls, r, n, x->s[pos + 1] < 'a');
	return true;
}

/* parseNamedClass at "[:": 1 added, 0 not a named class, -1 unknown. */
static int
goregex_xl_posix(struct goregex_xl *x, size_t *pos)
{
	size_t p = *pos, j, i, nlen;
	const unsigned char *name;
	bool neg;

	for (j = p + 2; j + 1 < x->n; j++)
		if (x->s[j] == ':' && x->s[j + 1] == ']')
			break;
	if (j + 1 >= x->n)
		return 0;
	name = x->s + p + 2;
	nlen = j - (p + 2);
	neg = nlen > 0 && name[0] == '^';
	if (neg) {
		name++;
		nlen--;
	}
	for (i = 0; i < sizeof(goregex_posix_groups) /
	    sizeof(*goregex_posix_groups); i++) {
		if (goregex_name_is(name, nlen, goregex_posix_groups[i].name)) {
			goregex_cls_add_list(&x->cls, goregex_posix_groups[i].r,
			    goregex_posix_groups[i].n, neg);
			*pos = j + 2;
			return 1;
		}
	}
	return -1;
}

/* parseClassChar */
static int
goregex_xl_class_char(struct goregex_xl *x, size_t *t, uint32_t *r)
{
	if (*t >= x->n)
		return -1;		/* missing closing ] */
	if (x->s[*t] == '\\')
		return goregex_xl_escape(x, t, r);
	*t += gopath_decode_rune(x->s + *t, x->n - *t, r);
	return 0;
}

/* parseClass at '[' (ClassNL: a negated class matches \n). */
static int
goregex_xl_class(struct goregex_xl *x)
{
	size_t t = x->i + 1;
	bool neg = false, first = true;
	uint32_t lo, hi;
	int rc;

	x->cls.n = 0;
	x->cls.props.len = 0;
	if (t < x->n && x->s[t] == '^') {
		neg = true;
		t++;
	}
	while (t >= x->n || x->s[t] != ']' || first) {
		first = false;
		if (x->n - t > 2 && x->s[t] == '[' && x->s[t + 1] == ':') {
			if ((rc = goregex_xl_posix(x, &t)) < 0)
				return -1;
			if (rc > 0)
				continue;
		}
		if (x->n - t >= 2 && x->s[t] == '\\' &&
		    (x->s[t + 1] == 'p' || x->s[t + 1] == 'P')) {
			if (goregex_xl_unicode(x, &t) < 0)
				return -1;
			continue;
		}
		if (goregex_xl_perl(x, t)) {
			t += 2;
			continue;
		}
		if (goregex_xl_class_char(x, &t, &lo) < 0)
			return -1;
		hi = lo;
		if (x->n - t >= 2 && x->s[t] == '-' && x->s[t + 1] != ']') {
			t++;
			if (goregex_xl_class_char(x, &t, &hi) < 0)
				return -1;
			if (hi < lo)
				return -1;
		}
		goregex_cls_add(&x->cls, lo, hi);
	}
	x->i = t + 1;
	goregex_xl_emit_class(x, neg);
	return 0;
}

/* repeatIsValid over the chain of repetitions the new one wraps. */
static bool
goregex_xl_repeat_valid(const struct goregex_xl *x, int min, int max)
{
	int n = GOREGEX_MAXREPEAT, m;
	size_t i = x->nchain;
	struct goregex_rep cur = { min, max, true };

	for (;;) {
		if (cur.counted) {
			m = cur.max;
			if (m == 0)
				return true;
			if (m < 0)
				m = cur.min;
			if (m > n)
				return false;
			if (m > 0)
				n /= m;
		}
		if (i == 0)
			return true;
		cur = x->chain[--i];
	}
}

/* Applies a repetition operator whose text ends before `after`. */
static int
goregex_xl_repeat(struct goregex_xl *x, size_t after, const char *quant,
    int min, int max, bool counted)
{
	bool lazy = false;

	if (after < x->n && x->s[after] == '?') {
		lazy = true;
		after++;
	}
	if (x->lastrep || x->last < 0)
		return -1;		/* nested repetition, missing argument */
	if (counted && (min >= 2 || max >= 2) &&
	    !goregex_xl_repeat_valid(x, min, max))
		return -1;
	goregex_buf_insert(x->out, (size_t)x->last, "(?:");
	goregex_buf_str(x->out, ")");
	goregex_buf_str(x->out, quant);
	if (lazy)
		goregex_buf_str(x->out, "?");
	if (x->nchain < GOREGEX_REPCHAIN) {
		x->chain[x->nchain].min = min;
		x->chain[x->nchain].max = max;
		x->chain[x->nchain].counted = counted;
		x->nchain++;
	}
	x->i = after;
	return 0;
}

/* parseInt: digits without a leading zero; -1 when too big. */
static bool
goregex_xl_int(struct goregex_xl *x, size_t *t, int *v)
{
	size_t p = *t;

	if (p >= x->n || x->s[p] < '0' || x->s[p] > '9')
		return false;
	if (p + 1 < x->n && x->s[p] == '0' && x->s[p + 1] >= '0' &&
	    x->s[p + 1] <= '9')
		return false;
	*v = 0;
	for (; p < x->n && x->s[p] >= '0' && x->s[p] <= '9'; p++) {
		if (*v >= 100000000)
			*v = -1;
		if (*v >= 0)
			*v = *v * 10 + (x->s[p] - '0');
	}
	*t = p;
	return true;
}

/* parseRepeat at '{': false when it is not a repetition (then a literal). */
static bool
goregex_xl_parse_repeat(struct goregex_xl *x, size_t *after, int *min, int *max)
{
	size_t t = x->i + 1;

	if (!goregex_xl_int(x, &t, min) || t >= x->n)
		return false;
	if (x->s[t] != ',') {
		*max = *min;
	} else {
		t++;
		if (t >= x->n)
			return false;
		if (x->s[t] == '}')
			*max = -1;
		else if (!goregex_xl_int(x, &t, max))
			return false;
		else if (*max < 0)
			*min = -1;
	}
	if (t >= x->n || x->s[t] != '}')
		return false;
	*after = t + 1;
	return true;
}

static int
goregex_xl_brace(struct goregex_xl *x, bool *rep)
{
	char q[32];
	size_t after;
	int min, max;

	if (!goregex_xl_parse_repeat(x, &after, &min, &max)) {
		goregex_xl_literal(x, '{');
		x->i++;
		return 0;
	}
	if (min < 0 || min > GOREGEX_MAXREPEAT || max > GOREGEX_MAXREPEAT ||
	    (max >= 0 && min > max))
		return -1;
	if (max < 0)
		snprintf(q, sizeof(q), "{%d,}", min);
	else
		snprintf(q, sizeof(q), "{%d,%d}", min, max);
	*rep = true;
	return goregex_xl_repeat(x, after, q, min, max, true);
}

static int
goregex_xl_backslash(struct goregex_xl *x)
{
	size_t t;
	uint32_t r;

	if (x->i + 1 < x->n) {
		switch (x->s[x->i + 1]) {
		case 'A':
			goregex_xl_atom(x, "\\A");
			x->i += 2;
			return 0;
		case 'b':
			goregex_xl_atom(x, "\\b");
			x->i += 2;
			return 0;
		case 'B':
			goregex_xl_atom(x, "\\B");
			x->i += 2;
			return 0;
		case 'z':
			goregex_xl_atom(x, "\\z");
			x->i += 2;
			return 0;
		case 'C':
			return -1;
		case 'Q':
			/* \Q...\E: literal up to \E or the end of the regexp */
			for (t = x->i + 2; t < x->n; ) {
				if (t + 1 < x->n && x->s[t] == '\\' &&
				    x->s[t + 1] == 'E') {
					t += 2;
					break;
				}
				t += gopath_decode_rune(x->s + t, x->n - t, &r);
				goregex_xl_literal(x, r);
			}
			x->i = t;
			return 0;
		case 'p':
		case 'P':
			x->cls.n = 0;
			x->cls.props.len = 0;
			t = x->i;
			if (goregex_xl_unicode(x, &t) < 0)
				return -1;
			x->i = t;
			goregex_xl_emit_class(x, false);
			return 0;
		}
		x->cls.n = 0;
		x->cls.props.len = 0;
		if (goregex_xl_perl(x, x->i)) {
			x->i += 2;
			goregex_xl_emit_class(x, false);
			return 0;
		}
	}
	t = x->i;
	if (goregex_xl_escape(x, &t, &r) < 0)
		return -1;
	goregex_xl_literal(x, r);
	x->i = t;
	return 0;
}

/* One token of the Go regexp; *rep says whether it was a repetition. */
static int
goregex_xl_token(struct goregex_xl *x, bool *rep)
{
	uint32_t r;
	unsigned char c = x->s[x->i];

	*rep = false;
	switch (c) {
	case '(':
		/* compile never emits "(?" or deep nesting; refuse both */
		if ((x->i + 1 < x->n && x->s[x->i + 1] == '?') ||
		    x->ngroups == GOREGEX_GROUPS)
			return -1;
		x->groups[x->ngroups++] = x->out->len;
		goregex_buf_str(x->out, "(?:");
		x->last = -1;
		x->i++;
		return 0;
	case ')':
		if (x->ngroups == 0)
			return -1;
		goregex_buf_str(x->out, ")");
		x->last = (long)x->groups[--x->ngroups];
		x->nchain = 0;
		x->i++;
		return 0;
	case '|':
		goregex_buf_str(x->out, "|");
		x->last = -1;
		x->i++;
		return 0;
	case '^':
		goregex_xl_atom(x, "\\A");	/* OneLine: text anchors */
		x->i++;
		return 0;
	case '$':
		goregex_xl_atom(x, "\\z");
		x->i++;
		return 0;
	case '.':
		goregex_xl_atom(x, "[^\\n]");
		x->i++;
		return 0;
	case '[':
		return goregex_xl_class(x);
	case '*':
	case '+':
	case '?':
		*rep = true;
		return goregex_xl_repeat(x, x->i + 1,
		    c == '*' ? "*" : c == '+' ? "+" : "?", 0, 0, false);
	case '{':
		return goregex_xl_brace(x, rep);
	case '\\':
		return goregex_xl_backslash(x);
	}
	x->i += gopath_decode_rune(x->s + x->i, x->n - x->i, &r);
	goregex_xl_literal(x, r);
	return 0;
}

/*
 * Translates Go regexp text (valid UTF-8: goregex_translate checks) into
 * PCRE2 syntax that means the same under PCRE2_UTF.  -1: Go's
 * regexp.Compile fails.
 */
static int
goregex_xl_translate(const char *re, size_t n, struct goregex_buf *out)
{
	struct goregex_xl x;
	bool rep;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.s = (const unsigned char *)re;
	x.n = n;
	x.out = out;
	x.last = -1;
	while (x.i < x.n) {
		if ((rc = goregex_xl_token(&x, &rep)) < 0)
			break;
		x.lastrep = rep;
	}
	if (rc == 0 && x.ngroups > 0)
		rc = -1;		/* missing closing ) */
	if (x.cls.oom || x.cls.props.oom)
		out->oom = true;
	free(x.cls.r);
	free(x.cls.props.p);
	return rc;
}

/* Go's parser refuses text that is not UTF-8 before anything else. */
static bool
goregex_valid_utf8(const char *re, size_t n)
{
	const unsigned char *s = (const unsigned char *)re;
	size_t i = 0, w;
	uint32_t r;

	while (i < n) {
		w = gopath_decode_rune(s + i, n - i, &r);
		if (r == 0xFFFD && w == 1)
			return false;
		i += w;
	}
	return true;
}

int
goregex_translate(const char *re, size_t len, char **pcre, size_t *pcre_len,
    bool *valid)
{
	struct goregex_buf out = { 0 };

	*pcre = NULL;
	*pcre_len = 0;
	*valid = goregex_valid_utf8(re, len) &&
	    goregex_xl_translate(re, len, &out) == 0;
	if (*valid)
		goregex_buf_add(&out, "", 1);
	if (out.oom) {
		free(out.p);
		return -1;
	}
	if (!*valid) {
		free(out.p);
		return 0;
	}
	*pcre = out.p;
	*pcre_len = out.len - 1;
	return 0;
}
