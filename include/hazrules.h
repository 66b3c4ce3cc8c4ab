/*
 * The hazard rules as data: one row per rule (id, class, severity, how it
 * matches, the suggested fix).  hazard.c runs the table; the content rules
 * themselves (patterns) live in secretscan.c and have rows here too, so
 * every rule id a finding can carry is listed in one place (SARIF's
 * tool.driver.rules is printed from this table).
 */
#ifndef CTXD_HAZRULES_H
#define CTXD_HAZRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hazard_match {
	HM_DIR,		/* a directory (or .git file) named one of names */
	HM_VENV,	/* a virtualenv / conda env by its markers */
	HM_FILE,	/* a file whose base name matches one of names (fnmatch),
			 * or whose path ends in one of names when it holds a '/';
			 * if gate is set, only when the content check holds */
	HM_CONTENT,	/* a content rule of secretscan.c (content) */
	HM_LARGE,	/* a file over the size limit */
	HM_GITIGNORED,	/* a file or directory git ignores */
};

enum hazard_severity {
	SEV_LOW,
	SEV_MEDIUM,
	SEV_HIGH,
	SEV_CRITICAL,
};

/* hazard_rule.flags */
enum {
	/* A name rule that already says "this file is a private key or holds
	 * one": the content rules private-key and generic-assignment are not
	 * reported again for the same file. */
	HR_COVERS_CONTENT = 1u << 0,
};

struct hazard_rule {
	const char *id;
	const char *cls;
	enum hazard_severity severity;
	enum hazard_match match;
	const char *const *names;	/* NULL-terminated, HM_DIR / HM_FILE */
	const char *const *except;	/* base names HM_FILE never matches */
	uint32_t gate;			/* enum secretscan_gate bits, HM_FILE */
	int content;			/* enum secretscan_rule, HM_CONTENT */
	unsigned flags;
	const char *fix;
};

extern const struct hazard_rule hazard_rules[];
extern const size_t hazard_nrules;

/* The row of rule id, or NULL. */
const struct hazard_rule *hazard_rule_find(const char *id);
/* The row of content rule r (enum secretscan_rule). */
const struct hazard_rule *hazard_rule_content(int r);

/* "low" .. "critical", and back (-1 when unknown). */
const char *hazard_severity_name(enum hazard_severity s);
int hazard_severity_parse(const char *s);

#endif
