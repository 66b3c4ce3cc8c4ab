/*
 * The compact context (see ctxstore.h): references into the tree, checked
 * on the way in, so that ctxstore_list() gives back exactly the entries it
 * was given.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ctxstore.h"
#include "digest.h"

/* SHA-256 of no bytes: the digest of an ENTRY_EMPTY file. */
static const unsigned char empty_digest[DIGEST_SIZE] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
	0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
	0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

void
ctxstore_init(struct ctxstore *s)
{
	s->v = NULL;
	s->n = 0;
	entry_list_init(&s->whole);
}

void
ctxstore_free(struct ctxstore *s)
{
	free(s->v);
	entry_list_free(&s->whole);
	ctxstore_init(s);
}

/* Bytes of node id's path (no NUL). */
static size_t
node_path_len(const struct tree *t, int32_t id)
{
	size_t len = 0;

	for (; id > 0; id = t->v[id].parent)
		len += strlen(tree_node_name(t, &t->v[id])) + (len > 0);
	return len;
}

/* Writes node id's path at dst (len bytes, from node_path_len), back to
 * front, and a NUL after it. */
static void
node_path_put(const struct tree *t, int32_t id, char *dst, size_t len)
{
	size_t end = len;

	dst[len] = '\0';
	for (; id > 0; id = t->v[id].parent) {
		const char *name = tree_node_name(t, &t->v[id]);
		size_t nl = strlen(name);
		if (end < len)
			dst[--end] = '/';
		end -= nl;
		memcpy(dst + end, name, nl);
	}
}

/* The arena bytes an entry needs: its path and link, each with a NUL. */
static size_t
ref_bytes(const struct ctxstore *s, const struct tree *t,
    const struct ctxstore_ref *r)
{
	const struct entry *w;
	const char *link;

	if (r->node < 0) {
		w = &s->whole.v[-1 - r->node];
		return w->path_len + 1 + (w->link ? strlen(w->link) + 1 : 0);
	}
	link = r->type == ENTRY_LINK ? tree_node_link(t, &t->v[r->node]) : NULL;
	return node_path_len(t, r->node) + 1 + (link ? strlen(link) + 1 : 0);
}

/* Fills e from r, copying its strings to *at (advanced past them). */
static void ref_fields(const struct tree *t, const struct ctxstore_ref *r,
    struct entry *e);

static void
ref_entry(const struct ctxstore *s, const struct tree *t,
    const struct ctxstore_ref *r, struct entry *e, char **at)
{
	const struct tree_node *n;
	const char *link;

	if (r->node < 0) {
		*e = s->whole.v[-1 - r->node];
		memcpy(*at, e->path, e->path_len + 1);
		e->path = *at;
		*at += e->path_len + 1;
		if (e->link != NULL) {
			size_t ll = strlen(e->link) + 1;
			memcpy(*at, e->link, ll);
			e->link = *at;
			*at += ll;
		}
		return;
	}
	n = &t->v[r->node];
	ref_fields(t, r, e);
	e->path_len = node_path_len(t, r->node);
	node_path_put(t, r->node, *at, e->path_len);
	e->path = *at;
	*at += e->path_len + 1;
	if (r->type == ENTRY_LINK && (link = tree_node_link(t, n)) != NULL) {
		size_t ll = strlen(link) + 1;
		memcpy(*at, link, ll);
		e->link = *at;
		*at += ll;
	}
}

/* All of entry r but its path and link, from its node. */
static void
ref_fields(const struct tree *t, const struct ctxstore_ref *r, struct entry *e)
{
	const struct tree_node *n = &t->v[r->node];

	memset(e, 0, sizeof(*e));
	e->type = r->type;
	e->flags = r->flags;
	e->perm = r->perm;
	e->dev = (dev_t)tree_node_dev(t, n);
	e->ino = (ino_t)n->ino;
	e->node = r->node;
	if (r->type == ENTRY_CHR || r->type == ENTRY_BLK)
		e->rdev = (dev_t)n->size;
	if (r->type == ENTRY_FILE && (r->flags & ENTRY_EMPTY)) {
		memcpy(e->digest, empty_digest, DIGEST_SIZE);
	} else if (r->type == ENTRY_FILE) {
		e->size = n->size;
		memcpy(e->digest, n->digest, DIGEST_SIZE);
	}
}

static bool
str_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Whether a reference to e's node gives e back exactly. */
static bool
ref_exact(const struct tree *t, const struct entry *e, struct ctxstore_ref *r)
{
	struct ctxstore_ref try = { (int32_t)e->node, (uint16_t)e->perm, e->type,
	    (uint8_t)e->flags };
	char buf[8192], *at = buf;
	struct entry got;

	if (e->node < 0 || (uint64_t)e->node >= t->n || !t->v[e->node].used ||
	    (e->flags & ENTRY_INLINE) || e->flags > UINT8_MAX ||
	    e->perm > UINT16_MAX || e->content != NULL ||
	    (e->type == ENTRY_FILE && !(e->flags & ENTRY_DIGESTED)) ||
	    ref_bytes(NULL, t, &try) > sizeof(buf))
		return false;
	ref_entry(NULL, t, &try, &got, &at);
	if (got.path_len != e->path_len || memcmp(got.path, e->path, e->path_len) ||
	    got.size != e->size || got.dev != e->dev || got.ino != e->ino ||
	    got.rdev != e->rdev || !str_same(got.link, e->link) ||
	    (e->type == ENTRY_FILE && memcmp(got.digest, e->digest, DIGEST_SIZE)))
		return false;
	*r = try;
	return true;
}

/* A copy of e in s->whole; its index, or -1 on no memory. */
static long
whole_add(struct ctxstore *s, const struct entry *e, struct ctx_error *err)
{
	struct entry *w = entry_list_add(&s->whole, e->path, e->path_len, err);
	char *path;

	if (w == NULL)
		return -1;
	path = w->path;
	*w = *e;
	w->path = path;
	w->link = NULL;
	w->content = NULL;
	if ((e->link != NULL && (w->link = strdup(e->link)) == NULL) ||
	    (e->content != NULL &&
	    (w->content = malloc(e->content_len ? e->content_len : 1)) == NULL)) {
		ctx_error_nomem(err);
		return -1;	/* the list frees what was copied */
	}
	if (e->content != NULL)
		memcpy(w->content, e->content, e->content_len);
	return (long)(s->whole.n - 1);
}

static int
put(struct ctxstore *s, const struct tree *t, size_t i, const struct entry *e,
    struct ctx_error *err)
{
	long k;

	if (ref_exact(t, e, &s->v[i]))
		return 0;
	if ((k = whole_add(s, e, err)) < 0)
		return -1;
	s->v[i].node = (int32_t)(-1 - k);
	return 0;
}

int
ctxstore_set(struct ctxstore *s, const struct tree *t,
    const struct entry_list *l, struct ctx_error *err)
{
	size_t i;

	ctxstore_free(s);
	if (l->n > 0 && (s->v = malloc(l->n * sizeof(*s->v))) == NULL)
		return ctx_error_nomem(err);
	s->n = l->n;
	for (i = 0; i < l->n; i++) {
		if (put(s, t, i, &l->v[i], err) < 0) {
			ctxstore_free(s);
			return -1;
		}
	}
	return 0;
}

int
ctxstore_update(struct ctxstore *s, const struct tree *t, size_t i,
    const struct entry *e, struct ctx_error *err)
{
	return put(s, t, i, e, err);
}

/* Entry i's path into buf (size bytes); its length, or -1 if too long. */
static long
entry_path(const struct ctxstore *s, const struct tree *t, size_t i,
    char *buf, size_t size)
{
	const struct ctxstore_ref *r = &s->v[i];
	size_t len;

	if (r->node < 0) {
		const struct entry *w = &s->whole.v[-1 - r->node];
		if (w->path_len >= size)
			return -1;
		memcpy(buf, w->path, w->path_len + 1);
		return (long)w->path_len;
	}
	if ((len = node_path_len(t, r->node)) >= size)
		return -1;
	node_path_put(t, r->node, buf, len);
	return (long)len;
}

long
ctxstore_find(const struct ctxstore *s, const struct tree *t, int32_t id)
{
	char want[8192], got[8192];
	long lo = 0, hi = (long)s->n - 1, wl, gl;
	size_t len;

	if (id < 0 || (uint32_t)id >= t->n || !t->v[id].used ||
	    (len = node_path_len(t, id)) >= sizeof(want))
		return -1;
	node_path_put(t, id, want, len);
	wl = (long)len;
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		int c;
		if ((gl = entry_path(s, t, (size_t)mid, got, sizeof(got))) < 0)
			return -1;
		c = entry_path_cmp(got, (size_t)gl, want, (size_t)wl);
		if (c == 0)
			return ctxstore_node(s, (size_t)mid) == id ? mid : -1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int64_t
ctxstore_node(const struct ctxstore *s, size_t i)
{
	int32_t node = s->v[i].node;

	return node >= 0 ? node : s->whole.v[-1 - node].node;
}

int
ctxstore_list(const struct ctxstore *s, const struct tree *t,
    const size_t *idx, size_t n, struct ctxstore_list *out,
    struct ctx_error *err)
{
	size_t i, bytes = 0;
	char *at;

	if (idx == NULL)
		n = s->n;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		bytes += ref_bytes(s, t, &s->v[idx ? idx[i] : i]);
	if ((n > 0 && (out->l.v = malloc(n * sizeof(*out->l.v))) == NULL) ||
	    (out->arena = malloc(bytes ? bytes : 1)) == NULL) {
		free(out->l.v);
		out->l.v = NULL;
		return ctx_error_nomem(err);
	}
	at = out->arena;
	for (i = 0; i < n; i++)
		ref_entry(s, t, &s->v[idx ? idx[i] : i], &out->l.v[i], &at);
	out->l.n = out->l.cap = n;
	return 0;
}

int
ctxstore_each(const struct ctxstore *s, const struct tree *t,
    int (*fn)(void *arg, const struct entry *e), void *arg)
{
	return ctxstore_each_from(s, t, 0, fn, arg);
}

/* The path of the parent of entries walked in order. */
struct prefix {
	int32_t parent;		/* whose path buf holds, or -2 */
	size_t len;		/* with its '/' */
	char buf[2 * PATH_MAX + 16];
};

/*
 * Entry r (a tree node) with its path made from its parent's, kept from
 * the entry before (entries in path order mostly share their parent): a
 * walk up to the root per entry was most of the manifest hash's time.
 * false when the path does not fit (the caller does it the long way).
 */
static bool
ref_entry_fast(const struct tree *t, const struct ctxstore_ref *r,
    struct prefix *px, struct entry *e)
{
	const struct tree_node *n = &t->v[r->node];
	const char *name = tree_node_name(t, n);
	size_t nl = strlen(name), len;

	if (n->parent != px->parent) {
		px->parent = -2;
		if (n->parent <= 0) {
			px->len = 0;
		} else {
			if ((len = node_path_len(t, n->parent)) + 2 > sizeof(px->buf))
				return false;
			node_path_put(t, n->parent, px->buf, len);
			px->buf[len] = '/';
			px->len = len + 1;
		}
		px->parent = n->parent;
	}
	if (px->len + nl + 1 > sizeof(px->buf))
		return false;
	memcpy(px->buf + px->len, name, nl + 1);
	ref_fields(t, r, e);
	e->path = px->buf;
	e->path_len = px->len + nl;
	/* the link, in place in the tree's pool */
	if (r->type == ENTRY_LINK && n->has_link)
		e->link = t->pool + n->name + nl + 1;
	return true;
}

int
ctxstore_each_from(const struct ctxstore *s, const struct tree *t,
    size_t start, int (*fn)(void *arg, const struct entry *e), void *arg)
{
	/* A path and a link target: a deeper path takes a buffer of its own. */
	char buf[2 * PATH_MAX + 16], *at, *big;
	struct prefix px;
	struct entry e;
	size_t i, need;
	int rc;

	px.parent = -2;
	for (i = start; i < s->n; i++) {
		if (s->v[i].node >= 0 && ref_entry_fast(t, &s->v[i], &px, &e)) {
			if ((rc = fn(arg, &e)) != 0)
				return rc;
			continue;
		}
		big = NULL;
		if ((need = ref_bytes(s, t, &s->v[i])) > sizeof(buf) &&
		    (big = malloc(need)) == NULL)
			return -1;
		at = big != NULL ? big : buf;
		ref_entry(s, t, &s->v[i], &e, &at);
		rc = fn(arg, &e);
		free(big);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
ctxstore_list_free(struct ctxstore_list *out)
{
	free(out->l.v);
	free(out->arena);
	memset(out, 0, sizeof(*out));
}
