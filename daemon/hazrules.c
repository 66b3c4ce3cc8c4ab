/*
 * The hazard table (see hazrules.h).  Severity: what leaks credentials or
 * a repository's history is high (critical when a COPY/ADD bakes a secret
 * into a layer, decided in hazard.c); what only bloats the context is
 * medium (dependencies, large files, files git ignores) or low (caches,
 * byte code, editor junk).  Names follow docker's own .dockerignore
 * advice; fixes say what to add to .dockerignore, with a leading `**` for nested
 * names since docker's patterns are anchored at the context root.
 */
#include <string.h>

#include "hazrules.h"
#include "secretscan.h"

#define N(...) ((const char *const[]){ __VA_ARGS__, NULL })

const struct hazard_rule hazard_rules[] = {
	/* secrets by name */
	{ "secret-dotenv", "secret", SEV_HIGH, HM_FILE, N(".env", ".env.*"),
	    N(".env.example", ".env.sample", ".env.template", ".env.dist",
	    ".env.defaults"), 0, -1, HR_COVERS_CONTENT,
	    "add `.env` and `.env.*` (keeping `!.env.example`) to .dockerignore" },
	{ "secret-ssh-key", "secret", SEV_HIGH, HM_FILE,
	    N("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*.ppk"), NULL, 0, -1,
	    HR_COVERS_CONTENT,
	    "remove the key from the context (add `**/id_*` and `!**/id_*.pub` "
	    "to .dockerignore); use `RUN --mount=type=ssh` to reach git hosts" },
	{ "secret-keystore", "secret", SEV_HIGH, HM_FILE,
	    N("*.p12", "*.pfx", "*.jks", "*.keystore"), NULL, 0, -1,
	    HR_COVERS_CONTENT,
	    "add the keystore to .dockerignore; pass it at run time or with "
	    "`RUN --mount=type=secret`" },
	{ "secret-npmrc", "secret", SEV_HIGH, HM_FILE, N(".npmrc"), NULL,
	    SG_NPMRC, -1, HR_COVERS_CONTENT,
	    "add `**/.npmrc` to .dockerignore; use `RUN --mount=type=secret,"
	    "id=npmrc,target=/root/.npmrc`" },
	{ "secret-pypirc", "secret", SEV_HIGH, HM_FILE, N(".pypirc"), NULL,
	    SG_PYPIRC, -1, HR_COVERS_CONTENT,
	    "add `**/.pypirc` to .dockerignore; use `RUN --mount=type=secret`" },
	{ "secret-netrc", "secret", SEV_HIGH, HM_FILE, N(".netrc", "_netrc"),
	    NULL, SG_NETRC, -1, HR_COVERS_CONTENT,
	    "add `**/.netrc` to .dockerignore; use `RUN --mount=type=secret`" },
	{ "secret-git-credentials", "secret", SEV_HIGH, HM_FILE,
	    N(".git-credentials"), NULL, SG_GITCRED, -1, HR_COVERS_CONTENT,
	    "add `**/.git-credentials` to .dockerignore" },
	{ "secret-pgpass", "secret", SEV_HIGH, HM_FILE, N(".pgpass"), NULL,
	    SG_PGPASS, -1, HR_COVERS_CONTENT,
	    "add `**/.pgpass` to .dockerignore" },
	{ "secret-htpasswd", "secret", SEV_HIGH, HM_FILE, N(".htpasswd"), NULL,
	    SG_HTPASSWD, -1, HR_COVERS_CONTENT,
	    "add `**/.htpasswd` to .dockerignore; mount it at run time" },
	{ "secret-docker-config", "secret", SEV_HIGH, HM_FILE,
	    N(".docker/config.json", "*.json", ".dockercfg"), NULL, SG_DOCKERCFG,
	    -1, HR_COVERS_CONTENT,
	    "add the file to .dockerignore (`**/.docker` for docker's own); "
	    "log in at build time with `RUN --mount=type=secret`" },
	{ "secret-aws-credentials", "secret", SEV_HIGH, HM_FILE,
	    N(".aws/credentials"), NULL, 0, -1, HR_COVERS_CONTENT,
	    "add `**/.aws` to .dockerignore; use `RUN --mount=type=secret,"
	    "id=aws,target=/root/.aws/credentials`" },
	{ "secret-kubeconfig", "secret", SEV_HIGH, HM_FILE,
	    N(".kube/config", "kubeconfig", "*.kubeconfig", "kubeconfig.y*ml",
	    "kubeconfig-*", "admin.conf", "super-admin.conf", "kubelet.conf",
	    "controller-manager.conf", "scheduler.conf"), NULL, SG_KUBECONFIG,
	    -1, HR_COVERS_CONTENT,
	    "add the kubeconfig to .dockerignore" },
	{ "secret-terraform-state", "secret", SEV_HIGH, HM_FILE,
	    N("terraform.tfstate", "terraform.tfstate.backup", "*.tfstate",
	    "*.tfvars"), NULL, 0, -1, HR_COVERS_CONTENT,
	    "add `**/*.tfstate*` and `**/*.tfvars` to .dockerignore" },
	{ "secret-gcp-service-account", "secret", SEV_HIGH, HM_FILE,
	    N("*.json"), NULL, SG_GCPSA, -1, HR_COVERS_CONTENT,
	    "add the service-account key to .dockerignore; use workload "
	    "identity or `RUN --mount=type=secret`" },
	/* secrets by content */
	{ "secret-private-key", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_PRIVATE_KEY, 0,
	    "add the key file to .dockerignore; use `RUN --mount=type=secret` "
	    "or `--mount=type=ssh`" },
	{ "secret-aws-access-key", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL,
	    0, SS_AWS, 0,
	    "rotate the key and remove it from the file (or add the file to "
	    ".dockerignore); use `RUN --mount=type=secret`" },
	{ "secret-github-token", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_GITHUB, 0, "revoke the token and remove it from the context" },
	{ "secret-gitlab-token", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_GITLAB, 0, "revoke the token and remove it from the context" },
	{ "secret-slack-token", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_SLACK, 0, "revoke the token and remove it from the context" },
	{ "secret-stripe-key", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_STRIPE, 0, "roll the key and remove it from the context" },
	{ "secret-npm-token", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_NPM, 0, "revoke the token and remove it from the context" },
	{ "secret-pypi-token", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_PYPI, 0, "revoke the token and remove it from the context" },
	{ "secret-google-api-key", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL,
	    0, SS_GOOGLE, 0, "restrict or rotate the key and remove it from "
	    "the context" },
	{ "secret-anthropic-key", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL,
	    0, SS_ANTHROPIC, 0, "revoke the key and remove it from the context" },
	{ "secret-openai-key", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0,
	    SS_OPENAI, 0, "revoke the key and remove it from the context" },
	{ "secret-jwt", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL, 0, SS_JWT,
	    0, "remove the token from the context; pass it at run time" },
	{ "secret-slack-webhook", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL,
	    0, SS_SLACK_WEBHOOK, 0,
	    "regenerate the webhook URL and pass it at run time" },
	{ "secret-url-password", "secret", SEV_HIGH, HM_CONTENT, NULL, NULL,
	    0, SS_URLCRED, 0,
	    "change the password and move it out of the URL (environment at "
	    "run time or `RUN --mount=type=secret`)" },
	{ "secret-generic-assignment", "secret", SEV_HIGH, HM_CONTENT, NULL,
	    NULL, 0, SS_GENERIC, 0,
	    "move the value out of the file (environment at run time or "
	    "`RUN --mount=type=secret`), or add the file to .dockerignore" },
	/* virtualenvs, version control, byte code */
	{ "venv-python", "venv", SEV_HIGH, HM_VENV, NULL, NULL, 0, -1, 0,
	    "add the virtualenv directory to .dockerignore and install "
	    "dependencies in the image" },
	{ "vcs-git", "vcs", SEV_HIGH, HM_DIR, N(".git"), NULL, 0, -1, 0,
	    "add `.git` (and `**/.git`) to .dockerignore" },
	{ "vcs-hg", "vcs", SEV_HIGH, HM_DIR, N(".hg"), NULL, 0, -1, 0,
	    "add `**/.hg` to .dockerignore" },
	{ "vcs-svn", "vcs", SEV_HIGH, HM_DIR, N(".svn"), NULL, 0, -1, 0,
	    "add `**/.svn` to .dockerignore" },
	{ "pycache", "pycache", SEV_LOW, HM_DIR, N("__pycache__"), NULL, 0, -1,
	    0, "add `**/__pycache__` and `**/*.py[co]` to .dockerignore" },
	{ "pycache-bytecode", "pycache", SEV_LOW, HM_FILE, N("*.pyc", "*.pyo"),
	    NULL, 0, -1, 0, "add `**/*.py[co]` to .dockerignore" },
	/* bloat */
	{ "deps-node-modules", "deps", SEV_MEDIUM, HM_DIR, N("node_modules"),
	    NULL, 0, -1, 0,
	    "add `**/node_modules` to .dockerignore and run `npm ci` in the image" },
	{ "cache-tool", "cache", SEV_LOW, HM_DIR,
	    N(".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox",
	    ".cache"), NULL, 0, -1, 0,
	    "add the cache directory (with `**/`) to .dockerignore" },
	{ "junk-ds-store", "junk", SEV_LOW, HM_FILE, N(".DS_Store"), NULL, 0,
	    -1, 0, "add `**/.DS_Store` to .dockerignore" },
	{ "junk-editor-swap", "junk", SEV_LOW, HM_FILE,
	    N("*.swp", "*.swo", "*~", ".#*"), NULL, 0, -1, 0,
	    "add `**/*.sw[po]`, `**/*~` and `**/.#*` to .dockerignore" },
	{ "junk-core-dump", "junk", SEV_LOW, HM_FILE, N("core", "core.[0-9]*"),
	    NULL, SG_ELFCORE, -1, 0,
	    "delete the core dump, or add `**/core` and `**/core.*` to "
	    ".dockerignore" },
	{ "large-file", "large", SEV_MEDIUM, HM_LARGE, NULL, NULL, 0, -1, 0,
	    "add the file to .dockerignore, or fetch it in the build "
	    "(ADD URL, a bind mount, a named context)" },
	{ "gitignored", "gitignored", SEV_MEDIUM, HM_GITIGNORED, NULL, NULL, 0,
	    -1, 0,
	    "git ignores it: add the same pattern to .dockerignore (with `**/` "
	    "for nested names)" },
};

const size_t hazard_nrules = sizeof(hazard_rules) / sizeof(hazard_rules[0]);

const struct hazard_rule *
hazard_rule_find(const char *id)
{
	size_t i;

	for (i = 0; i < hazard_nrules; i++)
		if (strcmp(hazard_rules[i].id, id) == 0)
			return &hazard_rules[i];
	return NULL;
}

const struct hazard_rule *
hazard_rule_content(int r)
{
	size_t i;

	for (i = 0; i < hazard_nrules; i++)
		if (hazard_rules[i].match == HM_CONTENT &&
		    hazard_rules[i].content == r)
			return &hazard_rules[i];
	return NULL;
}

static const char *const sev_names[] = { "low", "medium", "high", "critical" };

const char *
hazard_severity_name(enum hazard_severity s)
{
	return (unsigned)s < 4 ? sev_names[s] : "high";
}

int
hazard_severity_parse(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}
