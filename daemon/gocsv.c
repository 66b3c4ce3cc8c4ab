/*
 * Go's encoding/csv Reader.Read of a single record with the default
 * options, as BuildKit reads a RUN --mount value (parseMount): fields split
 * on ',', "quoted" fields with "" for a quote, and csv's refusals kept.
 */
#include <stdlib.h>
#include <string.h>

#include "gocsv.h"
#include "strbuf.h"

int
gocsv_read_record(const char *s, char ***fields, size_t *nfields)
{
	struct strbuf_list v = { 0 };
	size_t len = strlen(s), i = 0;

	*fields = NULL;
	*nfields = 0;
	if (len > 0 && s[len - 1] == '\r')
		len--;	/* csv drops a trailing \r before EOF */
	if (len == 0)
		return -1;	/* io.EOF */
	for (;;) {
		struct strbuf f = { 0 };

		if (i < len && s[i] == '"') {
			i++;
			for (;;) {
				if (i >= len)
					goto bad;	/* extraneous or missing " */
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						strbuf_add(&f, "\"", 1);
						i += 2;
						continue;
					}
					i++;
					break;
				}
				strbuf_add(&f, s + i, 1);
				i++;
			}
			if (i < len && s[i] != ',')
				goto bad;
		} else {
			size_t st = i;

			while (i < len && s[i] != ',') {
				if (s[i] == '"')
					goto bad;	/* bare " */
				i++;
			}
			strbuf_add(&f, s + st, i - st);
		}
		strbuf_list_push(&v, strbuf_take(&f));
		if (i >= len)
			break;
		i++;	/* the comma */
		continue;
bad:
		free(f.p);
		strbuf_list_free(&v);
		return -1;
	}
	if (v.bad) {
		strbuf_list_free(&v);
		return -1;
	}
	*fields = v.v;
	*nfields = v.n;
	return 0;
}
