/* results_files: the files of a result directory: every writer goes through
 * results_write_atomic (a temporary file, then rename), results_write_all
 * writes the run files into a directory, results_mkdirs (mkdir -p) makes
 * directories, for the runner, the environments and the suites too; and the
 * writers' shared pieces: reading a metrics file whole, XML/HTML escaping. */
#include "results.h"
#include "results_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes text to path through a temporary file and rename, so a reader
 * (or a crash of ours) never sees half a file. */
int results_write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int results_write_stream_atomic(const char *path, results_stream_fn fn, const results_run *r,
                                char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = fn(r, f);
    fclose(f);
    if (rc == 0)
        rc = results_write_atomic(path, buf, err, errlen);
    else
        snprintf(err, errlen, "cannot format %s", path);
    free(buf);
    return rc;
}

int results_write_all(const results_run *r, const char *dir, char *err, size_t errlen)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/test_summary.json", dir);
    if (results_write_summary(r, p, err, errlen) < 0)
        return -1;
    snprintf(p, sizeof(p), "%s/junit.xml", dir);
    if (results_write_junit(r, p, err, errlen) < 0)
        return -1;
    snprintf(p, sizeof(p), "%s/test_report.md", dir);
    if (results_write_report(r, p, err, errlen) < 0)
        return -1;
    snprintf(p, sizeof(p), "%s/test_report.html", dir);
    return results_write_html(r, p, err, errlen);
}

char *results_read_text(const char *path, size_t max, size_t *len, int *absent)
{
    FILE *f = fopen(path, "rb");
    *absent = !f && errno == ENOENT;
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || n > max || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

void results_xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n')
                fputc('?', f);
            else
                fputc(c, f);
        }
    }
}

int results_mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", path);
        return -1;
    }
    return 0;
}
