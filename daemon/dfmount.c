/*
 * RUN --mount values: BuildKit's parseMount with the expander
 * (RunCommand.Expand), then validateMount (dockerfile/instructions
 * commands_runmount.go).  Only what decides the build graph and the
 * context reads is kept (type, from, source, target, id); the other keys
 * are checked and dropped.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfmount.h"
#include "gocsv.h"

/* The message of a refused mount, as BuildKit words it (the caller adds
 * where). */
static int
mount_err(struct ctx_error *err, const char *fmt, ...)
{
	char m[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return ctx_error_set(err, CTX_ERR_DOCKERFILE, "%s", m);
}

static bool
parse_bool_go(const char *v, bool *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false",
	    "False" };
	size_t i;

	for (i = 0; i < 6; i++) {
		if (strcmp(v, t[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(v, f[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool
parse_uint32_go(const char *v, int base)
{
	unsigned long long acc = 0;

	if (*v == '\0')
		return false;
	for (; *v; v++) {
		int d = *v - '0';

		if (d < 0 || d >= base)
			return false;
		acc = acc * (unsigned)base + (unsigned)d;
		if (acc > 0xFFFFFFFFull)
			return false;
	}
	return true;
}

/* go-units RAMInBytes: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$ */
static bool
ram_in_bytes_ok(const char *v)
{
	const char *p = v;

	if (!(*p >= '0' && *p <= '9'))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p == '.' && p[1] >= '0' && p[1] <= '9') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == ' ')
		p++;
	if (*p && strchr("kKmMgGtTpP", *p))
		p++;
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	return *p == '\0';
}

void
dfmount_clear(struct dfmount *m)
{
	free(m->from);
	free(m->source);
	free(m->target);
	free(m->id);
	memset(m, 0, sizeof(*m));
}

int
dfmount_parse(const char *val, const struct shellword_lex *lex,
    const struct shellword_env *env, struct dfmount *m, struct ctx_error *err)
{
	char **f = NULL;
	size_t n = 0, i;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	strcpy(m->type, "bind");
	if (gocsv_read_record(val, &f, &n) == -1)
		return mount_err(err, "failed to parse csv mounts");
	for (i = 0; i < n; i++) {
		char *eq = strchr(f[i], '='), *key, *v = NULL, **slot = NULL;
		size_t k;

		key = strndup(f[i], eq ? (size_t)(eq - f[i]) : strlen(f[i]));
		if (key == NULL) {
			ctx_error_nomem(err);
			goto out;
		}
		for (k = 0; key[k]; k++)
			if (key[k] >= 'A' && key[k] <= 'Z')
				key[k] = (char)(key[k] + 32);
		if (eq == NULL) {
			if (strcmp(key, "ro") == 0 || strcmp(key, "readonly") == 0 ||
			    strcmp(key, "rw") == 0 || strcmp(key, "readwrite") == 0 ||
			    (strcmp(key, "required") == 0 &&
			    (strcmp(m->type, "secret") == 0 ||
			    strcmp(m->type, "ssh") == 0))) {
				free(key);
				continue;
			}
			if (strcmp(key, "required") == 0)
				mount_err(err, "unexpected key '%s' for mount "
				    "type '%s'", key, m->type);
			else
				mount_err(err, "invalid field '%.200s' must be a "
				    "key=value pair", f[i]);
			free(key);
			goto out;
		}
		if (shellword_process(lex, eq + 1, strlen(eq + 1), env, &v, err) == -1) {
			free(key);
			goto out;
		}
		if (strcmp(key, "type") == 0) {
			for (k = 0; v[k]; k++)
				if (v[k] >= 'A' && v[k] <= 'Z')
					v[k] = (char)(v[k] + 32);
			if (strcmp(v, "bind") && strcmp(v, "cache") &&
			    strcmp(v, "tmpfs") && strcmp(v, "secret") &&
			    strcmp(v, "ssh")) {
				mount_err(err, "unsupported mount type \"%.100s\"",
				    v);
				free(v);
				free(key);
				goto out;
			}
			strcpy(m->type, v);
		} else if (strcmp(key, "from") == 0)
			slot = &m->from;
		else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0)
			slot = &m->source;
		else if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 ||
		    strcmp(key, "destination") == 0)
			slot = &m->target;
		else if (strcmp(key, "id") == 0)
			slot = &m->id;
		else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0 ||
		    strcmp(key, "readwrite") == 0 || strcmp(key, "rw") == 0 ||
		    strcmp(key, "required") == 0) {
			bool bv;

			if (strcmp(key, "required") == 0 &&
			    strcmp(m->type, "secret") && strcmp(m->type, "ssh")) {
				mount_err(err, "unexpected key '%s' for mount "
				    "type '%s'", key, m->type);
				free(v);
				free(key);
				goto out;
			}
			if (!parse_bool_go(v, &bv)) {
				mount_err(err, "invalid value for %s: %.100s",
				    key, v);
				free(v);
				free(key);
				goto out;
			}
		} else if (strcmp(key, "size") == 0) {
			if (strcmp(m->type, "tmpfs") != 0 || !ram_in_bytes_ok(v)) {
				if (strcmp(m->type, "tmpfs") != 0)
					mount_err(err, "unexpected key '%s' for "
					    "mount type '%s'", key, m->type);
				else
					mount_err(err, "invalid value for %s: "
					    "%.100s", key, v);
				free(v);
				free(key);
				goto out;
			}
		} else if (strcmp(key, "sharing") == 0) {
			if (strcasecmp(v, "shared") && strcasecmp(v, "private") &&
			    strcasecmp(v, "locked")) {
				mount_err(err, "unsupported sharing value "
				    "\"%.100s\"", v);
				free(v);
				free(key);
				goto out;
			}
			m->has_sharing = true;
		} else if (strcmp(key, "mode") == 0 || strcmp(key, "uid") == 0 ||
		    strcmp(key, "gid") == 0) {
			if (!parse_uint32_go(v, key[0] == 'm' ? 8 : 10)) {
				mount_err(err, "invalid value %.100s for %s", v,
				    key);
				free(v);
				free(key);
				goto out;
			}
			if (key[0] == 'm')
				m->has_mode = true;
			else if (key[0] == 'u')
				m->has_uid = true;
			else
				m->has_gid = true;
		} else {
			mount_err(err, "unexpected key '%.60s' in '%.200s'", key,
			    f[i]);
			free(v);
			free(key);
			goto out;
		}
		if (slot != NULL) {
			free(*slot);
			*slot = v;
			v = NULL;
		}
		free(v);
		free(key);
	}
	if (strcmp(m->type, "secret") && strcmp(m->type, "ssh") &&
	    strcmp(m->type, "cache") && (m->has_mode || m->has_uid ||
	    m->has_gid)) {
		mount_err(err, "%s not allowed for \"%s\" type mounts",
		    m->has_mode ? "mode" : m->has_uid ? "uid" : "gid", m->type);
		goto out;
	}
	if (strcmp(m->type, "secret") == 0) {
		if (m->from != NULL && *m->from) {
			mount_err(err, "secret mount should not have a from");
			goto out;
		}
		if (m->has_sharing) {
			mount_err(err, "secret mount should not define sharing");
			goto out;
		}
		if ((m->source == NULL || !*m->source) && (m->target == NULL ||
		    !*m->target) && (m->id == NULL || !*m->id)) {
			mount_err(err, "invalid secret mount. one of source, "
			    "target required");
			goto out;
		}
		if (m->source != NULL && *m->source && m->id != NULL && *m->id) {
			mount_err(err, "both source and id can't be set");
			goto out;
		}
	}
	if (m->has_sharing && strcmp(m->type, "cache") != 0) {
		mount_err(err, "invalid cache sharing set for %s mount", m->type);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
	if (rc == -1)
		dfmount_clear(m);
	return rc;
}
