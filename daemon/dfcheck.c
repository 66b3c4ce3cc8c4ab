/*
 * The checks BuildKit's instructions package makes on every parsed
 * instruction (instructions/parse.go ParseInstruction, bflag.go BFlags):
 * unknown instructions and flags, argument counts, flag values, stage
 * names, RUN --mount CSV, HEALTHCHECK durations, so that what fails a build
 * before any stage is converted fails here (spec bk-v1 rule 8.3).  It also
 * derives the ONBUILD expression as parseOnBuild does.  Pinned by
 * tests/unit/test_dockerfile.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfcheck.h"
#include "dockerfile.h"
#include "gocsv.h"
#include "gopath.h"
#include "goregex.h"
#include "strbuf.h"

/* Where messages go: "<name>:<line>: <what BuildKit says>". */
struct dfcheck {
	const char *name;
	struct ctx_error *err;
};

enum { FL_BOOL, FL_STRING, FL_STRINGS };
struct flagspec {
	const char *name;
	int type;
};

static const struct flagspec fl_add[] = {
	{ "chown", FL_STRING }, { "chmod", FL_STRING }, { "link", FL_BOOL },
	{ "keep-git-dir", FL_BOOL }, { "checksum", FL_STRING },
	{ "exclude", FL_STRINGS }, { "unpack", FL_BOOL }, { NULL, 0 },
};
static const struct flagspec fl_copy[] = {
	{ "chown", FL_STRING }, { "from", FL_STRING }, { "chmod", FL_STRING },
	{ "link", FL_BOOL }, { "exclude", FL_STRINGS }, { "parents", FL_BOOL },
	{ NULL, 0 },
};
static const struct flagspec fl_from[] = {
	{ "platform", FL_STRING }, { NULL, 0 },
};
static const struct flagspec fl_run[] = {
	{ "mount", FL_STRINGS }, { "network", FL_STRING },
	{ "security", FL_STRING }, { NULL, 0 },
};
static const struct flagspec fl_health[] = {
	{ "interval", FL_STRING }, { "timeout", FL_STRING },
	{ "start-period", FL_STRING }, { "start-interval", FL_STRING },
	{ "retries", FL_STRING }, { NULL, 0 },
};
static const struct flagspec fl_none[] = { { NULL, 0 } };

static int	ierr(struct dfcheck *, const struct dockerfile_instr *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static int
ierr(struct dfcheck *p, const struct dockerfile_instr *ins, const char *fmt,
    ...)
{
	char m[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return ctx_error_set(p->err, CTX_ERR_DOCKERFILE, "%s:%zu: %s", p->name,
	    ins->start_line, m);
}

/* BFlags.Parse */
static int
check_flags(struct dfcheck *p, struct dockerfile_instr *ins,
    const struct flagspec *spec)
{
	size_t i, k;

	ins->flags = calloc(ins->nraw_flags + 1, sizeof(*ins->flags));
	if (ins->flags == NULL)
		return ctx_error_nomem(p->err);
	for (i = 0; i < ins->nraw_flags; i++) {
		const char *a = ins->raw_flags[i] + 2, *eq = strchr(a, '=');
		size_t nl = eq ? (size_t)(eq - a) : strlen(a);
		const struct flagspec *f = NULL;
		struct dockerfile_flag *fl = &ins->flags[ins->nflags];
		char nm[128];

		snprintf(nm, sizeof(nm), "%.*s", (int)(nl > 100 ? 100 : nl), a);
		for (k = 0; spec[k].name != NULL; k++)
			if (strlen(spec[k].name) == nl &&
			    memcmp(spec[k].name, a, nl) == 0)
				f = &spec[k];
		if (f == NULL)
			return ierr(p, ins, "unknown flag: %s%s", nm, "");
		for (k = 0; k < ins->nflags && f->type != FL_STRINGS; k++)
			if (strcmp(ins->flags[k].name, f->name) == 0)
				return ierr(p, ins, "duplicate flag specified: "
				    "%s%s", nm, "");
		if (f->type == FL_BOOL) {
			if (eq != NULL && eq[1] == '\0')
				return ierr(p, ins, "missing a value on flag: "
				    "%s%s", nm, "");
			if (eq != NULL && strcasecmp(eq + 1, "true") != 0 &&
			    strcasecmp(eq + 1, "false") != 0)
				return ierr(p, ins, "expecting boolean value "
				    "for flag %s, not: %.200s", nm, eq + 1);
		} else if (eq == NULL)
			return ierr(p, ins, "missing a value on flag: %s%s", nm,
			    "");
		fl->name = strdup(f->name);
		if (f->type == FL_BOOL)
			fl->value = strdup(eq == NULL ||
			    strcasecmp(eq + 1, "true") == 0 ? "true" : "false");
		else
			fl->value = strdup(eq + 1);
		fl->has_value = eq != NULL;
		ins->nflags++;
		if (fl->name == NULL || fl->value == NULL)
			return ctx_error_nomem(p->err);
	}
	return 0;
}

/* time.ParseDuration, in nanoseconds; -1 when invalid or out of range. */
static int
parse_duration(const char *s, double *ns)
{
	bool neg = false;
	double total = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s) {
		double v = 0, scale = 1, unit;
		bool digits = false;

		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s++ - '0');
			digits = true;
		}
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9') {
				scale /= 10;
				v += (*s++ - '0') * scale;
				digits = true;
			}
		}
		if (!digits)
			return -1;
		if (strncmp(s, "ns", 2) == 0) { unit = 1; s += 2; }
		else if (strncmp(s, "us", 2) == 0) { unit = 1e3; s += 2; }
		else if (strncmp(s, "\xC2\xB5s", 3) == 0) { unit = 1e3; s += 3; }
		else if (strncmp(s, "\xCE\xBCs", 3) == 0) { unit = 1e3; s += 3; }
		else if (strncmp(s, "ms", 2) == 0) { unit = 1e6; s += 2; }
		else if (*s == 's') { unit = 1e9; s++; }
		else if (*s == 'm') { unit = 60e9; s++; }
		else if (*s == 'h') { unit = 3600e9; s++; }
		else
			return -1;
		total += v * unit;
		if (total > 9.223372036854775807e18)
			return -1;
	}
	*ns = neg ? -total : total;
	return 0;
}

static bool
parse_int32(const char *s, long *out)
{
	char *end;
	long long v;

	if (*s == '\0' || strchr(s, '_') != NULL || strchr(s, ' ') != NULL)
		return false;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < INT32_MIN || v > INT32_MAX || s[0] == '\t' ||
	    s[0] == '\n' || s[0] == '\v' || s[0] == '\f' || s[0] == '\r')
		return false;
	*out = (long)v;
	return true;
}

/* The first pass of parseMount (no expander): the CSV must parse and a
 * from= value must not have a `$` before its last byte. */
static int
check_mount(struct dfcheck *p, const struct dockerfile_instr *ins,
    const char *val)
{
	char **f;
	size_t n, i;
	int rc = 0;

	if (gocsv_read_record(val, &f, &n) == -1)
		return ierr(p, ins, "failed to parse csv mounts: %.200s%s", val,
		    "");
	for (i = 0; i < n && rc == 0; i++) {
		char *eq = strchr(f[i], '='), *d;

		if (eq == NULL || eq - f[i] != 4 ||
		    strncasecmp(f[i], "from", 4) != 0)
			continue;
		d = strchr(eq + 1, '$');
		if (d != NULL && d[1] != '\0')
			rc = ierr(p, ins, "'%s' doesn't support variable "
			    "expansion, define alias stage instead%s", "from",
			    "");
	}
	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
	return rc;
}

static bool
valid_stage_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* OnbuildCommand.Expression: `(?i)^\s*ONBUILD\s*` removed, heredocs added. */
static char *
onbuild_expression(const struct dockerfile_instr *ins)
{
	const char *o = ins->original;
	struct strbuf s = { 0 };
	size_t i;

	while (goregex_is_space((unsigned char)*o))
		o++;
	if (strncasecmp(o, "onbuild", 7) == 0) {
		o += 7;
		while (goregex_is_space((unsigned char)*o))
			o++;
	} else
		o = ins->original;
	strbuf_add(&s, o, strlen(o));
	for (i = 0; i < ins->nheredocs; i++) {
		strbuf_add(&s, "\n", 1);
		strbuf_add(&s, ins->heredocs[i].content,
		    strlen(ins->heredocs[i].content));
		strbuf_add(&s, ins->heredocs[i].name,
		    strlen(ins->heredocs[i].name));
	}
	return strbuf_take(&s);
}

/* ParseInstruction's checks for one instruction. */
static int
check_instr(struct dfcheck *p, struct dockerfile_instr *ins)
{
	const char *u = dockerfile_kind_name(ins->kind);
	char what[16];
	size_t i;

	snprintf(what, sizeof(what), "%s", u);
	switch (ins->kind) {
	case DF_UNKNOWN:
		return ierr(p, ins, "unknown instruction: %.100s%s",
		    ins->keyword, "");
	case DF_ENV:
	case DF_LABEL:
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		if (ins->nargs == 0)
			return ierr(p, ins, "%s requires at least one argument%s",
			    what, "");
		for (i = 0; i < ins->nargs; i += 3)
			if (ins->args[i][0] == '\0')
				return ierr(p, ins, "%s names can not be blank%s",
				    what, "");
		return 0;
	case DF_MAINTAINER:
	case DF_WORKDIR:
	case DF_USER:
		if (ins->nargs != 1)
			return ierr(p, ins, "%s requires exactly one argument%s",
			    what, "");
		return check_flags(p, ins, fl_none);
	case DF_STOPSIGNAL:
		if (ins->nargs != 1)
			return ierr(p, ins, "%s requires exactly one argument%s",
			    what, "");
		return 0;	/* parseStopSignal never parses its flags */
	case DF_ADD:
	case DF_COPY:
		if (ins->nargs < 2)
			return ierr(p, ins, "%s requires at least two arguments, "
			    "but only one was provided. Destination could not "
			    "be determined%s", what, ".");
		if (check_flags(p, ins, ins->kind == DF_ADD ? fl_add :
		    fl_copy) == -1)
			return -1;
		if (dockerfile_is_heredoc(ins->args[ins->nargs - 1]))
			return ierr(p, ins, "%s cannot accept a heredoc as %s",
			    what, "a destination");
		return 0;
	case DF_FROM:
		if (ins->nargs == 3 && strcasecmp(ins->args[1], "as") == 0) {
			char *n = ins->args[2];

			for (i = 0; n[i]; i++)
				if (n[i] >= 'A' && n[i] <= 'Z')
					n[i] = (char)(n[i] + 32);
			if (!valid_stage_name(n))
				return ierr(p, ins, "invalid name for build "
				    "stage: \"%.100s\", name can't start with a "
				    "number or contain symbols%s", n, "");
		} else if (ins->nargs != 1)
			return ierr(p, ins, "FROM requires either one or three "
			    "arguments%s%s", "", "");
		return check_flags(p, ins, fl_from);
	case DF_ONBUILD: {
		const char *t;

		if (ins->nargs == 0)
			return ierr(p, ins, "ONBUILD requires at least one "
			    "argument%s%s", "", "");
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		t = ins->trigger->keyword;
		if (strcasecmp(t, "onbuild") == 0)
			return ierr(p, ins, "Chaining ONBUILD via `ONBUILD "
			    "ONBUILD` isn't allowed%s%s", "", "");
		if (strcasecmp(t, "maintainer") == 0 ||
		    strcasecmp(t, "from") == 0)
			return ierr(p, ins, "%s isn't allowed as an ONBUILD "
			    "trigger%s", ins->trigger->kind == DF_FROM ? "FROM" :
			    "MAINTAINER", "");
		ins->expression = onbuild_expression(ins);
		return ins->expression == NULL ? ctx_error_nomem(p->err) : 0;
	}
	case DF_RUN: {
		const char *v;

		if (check_flags(p, ins, fl_run) == -1)
			return -1;
		for (i = 0; i < ins->nflags; i++)
			if (strcmp(ins->flags[i].name, "mount") == 0 &&
			    check_mount(p, ins, ins->flags[i].value) == -1)
				return -1;
		v = dockerfile_flag(ins, "network");
		if (v != NULL && strcmp(v, "default") != 0 &&
		    strcmp(v, "none") != 0 && strcmp(v, "host") != 0)
			return ierr(p, ins, "network mode \"%.100s\" not "
			    "supported%s", v, "");
		v = dockerfile_flag(ins, "security");
		if (v != NULL && strcmp(v, "sandbox") != 0 &&
		    strcmp(v, "insecure") != 0)
			return ierr(p, ins, "security mode \"%.100s\" not "
			    "supported%s", v, "");
		return 0;
	}
	case DF_CMD:
	case DF_ENTRYPOINT:
		return check_flags(p, ins, fl_none);
	case DF_HEALTHCHECK: {
		char typ[16];
		static const char *const iv[] = { "interval", "timeout",
		    "start-period", "start-interval" };
		const char *r;
		long n;

		if (ins->nargs == 0)
			return ierr(p, ins, "HEALTHCHECK requires at least one "
			    "argument%s%s", "", "");
		snprintf(typ, sizeof(typ), "%s", ins->args[0]);
		for (i = 0; typ[i]; i++)
			if (typ[i] >= 'a' && typ[i] <= 'z')
				typ[i] = (char)(typ[i] - 32);
		if (strlen(ins->args[0]) == 4 && strcmp(typ, "NONE") == 0) {
			if (ins->nargs != 1)
				return ierr(p, ins, "HEALTHCHECK NONE takes no "
				    "arguments%s%s", "", "");
			return 0;
		}
		if (check_flags(p, ins, fl_health) == -1)
			return -1;
		if (!(strlen(ins->args[0]) == 3 && strcmp(typ, "CMD") == 0))
			return ierr(p, ins, "Unknown type \"%.100s\" in "
			    "HEALTHCHECK (try CMD)%s", ins->args[0], "");
		if (ins->nargs < 2)
			return ierr(p, ins, "Missing command after HEALTHCHECK "
			    "CMD%s%s", "", "");
		for (i = 0; i < 4; i++) {
			double d;

			r = dockerfile_flag(ins, iv[i]);
			if (r == NULL || *r == '\0')
				continue;
			if (parse_duration(r, &d) == -1)
				return ierr(p, ins, "time: invalid duration "
				    "\"%.100s\"%s", r, "");
			if (d != 0 && d < 1e6)
				return ierr(p, ins, "Interval \"%s\" cannot be "
				    "less than 1ms%s", iv[i], "");
		}
		r = dockerfile_flag(ins, "retries");
		if (r != NULL && *r != '\0') {
			if (!parse_int32(r, &n))
				return ierr(p, ins, "strconv.ParseInt: parsing "
				    "\"%.100s\": invalid syntax%s", r, "");
			if (n < 0)
				return ierr(p, ins, "--retries cannot be "
				    "negative (%s)%s", r, "");
		}
		return 0;
	}
	case DF_EXPOSE:
		if (ins->nargs == 0)
			return ierr(p, ins, "EXPOSE requires at least one "
			    "argument%s%s", "", "");
		return check_flags(p, ins, fl_none);
	case DF_VOLUME:
		if (ins->nargs == 0)
			return ierr(p, ins, "VOLUME requires at least one "
			    "argument%s%s", "", "");
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		for (i = 0; i < ins->nargs; i++) {
			const char *a = ins->args[i];
			size_t al = strlen(a);

			gopath_trim_space(&a, &al);
			if (al == 0)
				return ierr(p, ins, "VOLUME specified can not be "
				    "an empty string%s%s", "", "");
		}
		return 0;
	case DF_ARG:
		if (ins->nargs == 0)
			return ierr(p, ins, "ARG requires at least one "
			    "argument%s%s", "", "");
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		for (i = 0; i < ins->nargs; i++)
			if (ins->args[i][0] == '=')
				return ierr(p, ins, "ARG names can not be "
				    "blank%s%s", "", "");
		return 0;
	case DF_SHELL:
		if (check_flags(p, ins, fl_none) == -1)
			return -1;
		if (ins->nargs == 0)
			return ierr(p, ins, "SHELL requires at least one "
			    "argument%s%s", "", "");
		if (!ins->json)
			return ierr(p, ins, "SHELL requires the arguments to be "
			    "in JSON form%s%s", "", "");
		return 0;
	}
	return 0;
}

int
dfcheck_instr(struct dockerfile_instr *ins, const char *name,
    struct ctx_error *err)
{
	struct dfcheck c = { name, err };

	return check_instr(&c, ins);
}
