/* results_svg: the charts of test_report.html as inline SVG, written in C so
 * the page needs no script, no font and no network. Two shapes: an x/y plot
 * (lines or bars, linear or log axes, HdrHistogram's percentile axis,
 * labelled marker lines) and the fault timeline (one lane per scenario).
 * Every string from the run (series names, event details) is escaped; the
 * caller gives ASCII ids. Each point group carries a <title>, the tooltip a
 * browser shows on hover. */
#include "results_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SVG_W 720.0
#define SVG_H 280.0
#define SVG_L 70.0 /* left margin: the y tick labels */
#define SVG_R 30.0 /* right margin: the last x tick label */
#define SVG_T 40.0
#define SVG_B 46.0
#define SVG_PCT_MAX 4.0 /* the percentile axis ends at 99.99 (1/(1-q) = 10^4) */
#define SVG_MAX_TICKS 12

static const char *const svg_colours[] = {"#2563eb", "#dc2626", "#059669", "#d97706",
                                          "#7c3aed", "#0891b2", "#db2777", "#4b5563"};
#define SVG_NCOLOURS (sizeof(svg_colours) / sizeof(svg_colours[0]))

void results_svg_format(char *buf, size_t len, double v, results_svg_unit u)
{
    double a = fabs(v);
    switch (u) {
    case RESULTS_SVG_NS:
        if (a >= 1e9)
            snprintf(buf, len, "%.3g s", v / 1e9);
        else if (a >= 1e6)
            snprintf(buf, len, "%.3g ms", v / 1e6);
        else if (a >= 1e3)
            snprintf(buf, len, "%.3g us", v / 1e3);
        else
            snprintf(buf, len, "%.3g ns", v);
        break;
    case RESULTS_SVG_BYTES:
        if (a >= 1024.0 * 1024 * 1024)
            snprintf(buf, len, "%.3g GiB", v / (1024.0 * 1024 * 1024));
        else if (a >= 1024.0 * 1024)
            snprintf(buf, len, "%.3g MiB", v / (1024.0 * 1024));
        else if (a >= 1024.0)
            snprintf(buf, len, "%.3g KiB", v / 1024.0);
        else
            snprintf(buf, len, "%.0f B", v);
        break;
    case RESULTS_SVG_PERCENT:
        snprintf(buf, len, "%.3g %%", v);
        break;
    default:
        snprintf(buf, len, "%.4g", v);
    }
}

/* ---- axes ---- */

typedef struct svg_axis {
    double lo, hi; /* in axis space (log10 of the value on a log axis) */
    int log, percentile;
    results_svg_unit unit;
} svg_axis;

static double axis_value(const svg_axis *a, double v)
{
    if (a->percentile) {
        double q = v >= 99.99 ? 99.99 : v < 0 ? 0 : v;
        return log10(100.0 / (100.0 - q));
    }
    return a->log ? log10(v) : v;
}

static int axis_usable(const svg_axis *a, double v)
{
    return isfinite(v) && (!a->log || v > 0);
}

/* A step of 1, 2 or 5 times a power of ten giving about 5 ticks. */
static double nice_step(double range)
{
    if (!(range > 0))
        return 1;
    double raw = range / 5.0, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* The tick step of a linear axis: whole KiB/MiB/GiB for bytes. */
static double axis_step(const svg_axis *a, double range)
{
    if (a->unit == RESULTS_SVG_BYTES)
        for (double u = 1024.0 * 1024 * 1024; u >= 1024.0; u /= 1024.0)
            if (range >= 2 * u)
                return nice_step(range / u) * u;
    return nice_step(range);
}

/* Widens [lo, hi] (data space) to tick boundaries. */
static void axis_fit(svg_axis *a, double lo, double hi)
{
    if (a->percentile) {
        a->lo = 0;
        a->hi = SVG_PCT_MAX;
        return;
    }
    if (a->log) {
        a->lo = floor(log10(lo));
        a->hi = ceil(log10(hi));
        if (a->hi <= a->lo)
            a->hi = a->lo + 1;
        return;
    }
    if (lo > 0)
        lo = 0;
    if (hi <= lo)
        hi = lo + 1;
    double st = axis_step(a, hi - lo);
    a->lo = floor(lo / st) * st;
    a->hi = ceil(hi / st) * st;
}

/* The tick values (data space), at most SVG_MAX_TICKS. */
static size_t axis_ticks(const svg_axis *a, double *t)
{
    size_t n = 0;
    if (a->percentile) {
        static const double p[] = {0, 90, 99, 99.9, 99.99};
        for (size_t i = 0; i < 5; i++)
            t[n++] = p[i];
    } else if (a->log) {
        int decades = (int)(a->hi - a->lo);
        for (double e = a->lo; e <= a->hi + 1e-9 && n < SVG_MAX_TICKS; e += 1) {
            t[n++] = pow(10, e);
            if (decades <= 3 && e < a->hi - 1e-9 && n + 2 < SVG_MAX_TICKS) {
                t[n++] = 2 * pow(10, e);
                t[n++] = 5 * pow(10, e);
            }
        }
    } else {
        double st = axis_step(a, a->hi - a->lo);
        for (double v = a->lo; v <= a->hi + st * 1e-6 && n < SVG_MAX_TICKS; v += st)
            t[n++] = fabs(v) < st * 1e-9 ? 0 : v;
    }
    return n;
}

static void tick_label(const svg_axis *a, double v, char *buf, size_t len)
{
    if (a->percentile)
        snprintf(buf, len, "%g%%", v);
    else
        results_svg_format(buf, len, v, a->unit);
}

static double px(const svg_axis *a, double v)
{
    return SVG_L + (axis_value(a, v) - a->lo) / (a->hi - a->lo) * (SVG_W - SVG_L - SVG_R);
}

static double py(const svg_axis *a, double v)
{
    double y = SVG_H - SVG_B - (axis_value(a, v) - a->lo) / (a->hi - a->lo) * (SVG_H - SVG_T - SVG_B);
    return y < SVG_T ? SVG_T : y > SVG_H - SVG_B ? SVG_H - SVG_B : y;
}

static void draw_axes(FILE *f, const results_svg_chart *c, const svg_axis *ax, const svg_axis *ay)
{
    double t[SVG_MAX_TICKS];
    char lab[48];
    size_t n = axis_ticks(ay, t);
    for (size_t i = 0; i < n; i++) {
        double y = py(ay, t[i]);
        tick_label(ay, t[i], lab, sizeof(lab));
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                SVG_L, y, SVG_W - SVG_R, y, SVG_L - 6, y + 4, lab);
    }
    n = axis_ticks(ax, t);
    for (size_t i = 0; i < n; i++) {
        double x = px(ax, t[i]);
        tick_label(ax, t[i], lab, sizeof(lab));
        fprintf(f, "<line class=\"tickmark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, SVG_H - SVG_B, x, SVG_H - SVG_B + 5, x, SVG_H - SVG_B + 18, lab);
    }
    fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
               "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            SVG_L, SVG_T, SVG_L, SVG_H - SVG_B, SVG_L, SVG_H - SVG_B, SVG_W - SVG_R,
            SVG_H - SVG_B);
    fprintf(f, "<text class=\"axislabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
            (SVG_L + SVG_W - SVG_R) / 2, SVG_H - 8);
    results_xml_escape(f, c->xlabel);
    fprintf(f, "</text><text class=\"axislabel\" x=\"%.1f\" y=\"%.1f\">", SVG_L - 60, SVG_T - 12);
    results_xml_escape(f, c->ylabel);
    fprintf(f, "</text>\n");
}

static void point_title(FILE *f, const results_svg_chart *c, const char *name, double x, double y)
{
    char xs[48], ys[48];
    if (c->percentile)
        snprintf(xs, sizeof(xs), "p%g", x);
    else
        results_svg_format(xs, sizeof(xs), x, c->xunit);
    results_svg_format(ys, sizeof(ys), y, c->yunit);
    fprintf(f, "<title>");
    results_xml_escape(f, name);
    fprintf(f, ": %s at %s</title>", ys, xs);
}

static void draw_bars(FILE *f, const results_svg_chart *c, const svg_axis *ax, const svg_axis *ay,
                      const results_svg_series *s, const char *colour)
{
    for (size_t i = 0; i < s->n; i++) {
        if (!axis_usable(ax, s->x[i]) || !axis_usable(ax, s->x[i + 1]) || !(s->y[i] > 0))
            continue;
        double x0 = px(ax, s->x[i]), x1 = px(ax, s->x[i + 1]), y = py(ay, s->y[i]);
        char lo[48], hi[48], v[48];
        results_svg_format(lo, sizeof(lo), s->x[i], c->xunit);
        results_svg_format(hi, sizeof(hi), s->x[i + 1], c->xunit);
        results_svg_format(v, sizeof(v), s->y[i], c->yunit);
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                   "fill=\"%s\"><title>%s to %s: %s</title></rect>\n",
                x0 + 0.5, y, x1 - x0 > 1.5 ? x1 - x0 - 1 : 0.5, SVG_H - SVG_B - y, colour, lo, hi,
                v);
    }
}

static void draw_line(FILE *f, const results_svg_chart *c, const svg_axis *ax, const svg_axis *ay,
                      const results_svg_series *s, const char *colour, int dashed)
{
    int open = 0;
    fprintf(f, "<path class=\"line\" fill=\"none\" stroke=\"%s\"%s d=\"", colour,
            dashed ? " stroke-dasharray=\"7 4\"" : "");
    for (size_t i = 0; i < s->n; i++) {
        if (!axis_usable(ax, s->x[i]) || !axis_usable(ay, s->y[i])) {
            open = 0; /* a gap in the line, not a jump to zero */
            continue;
        }
        fprintf(f, "%s%.1f %.1f", open ? " L" : " M", px(ax, s->x[i]), py(ay, s->y[i]));
        open = 1;
    }
    fprintf(f, "\"/>\n");
    /* hover points: every point of a short series, a sample of a long one */
    size_t every = s->n > 60 ? s->n / 60 + 1 : 1;
    for (size_t i = 0; i < s->n; i += every) {
        if (!axis_usable(ax, s->x[i]) || !axis_usable(ay, s->y[i]))
            continue;
        fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\">",
                px(ax, s->x[i]), py(ay, s->y[i]), s->n <= 60 ? "2.5" : "1.5", colour);
        point_title(f, c, s->name, s->x[i], s->y[i]);
        fprintf(f, "</circle>");
    }
    fputc('\n', f);
}

void results_svg_plot(FILE *f, const results_svg_chart *c, const results_svg_series *s, size_t ns)
{
    svg_axis ax = {.log = c->logx, .percentile = c->percentile, .unit = c->xunit};
    svg_axis ay = {.log = c->logy, .unit = c->yunit};
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    size_t points = 0;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            if (!axis_usable(&ay, s[k].y[i]) || !axis_usable(&ax, s[k].x[i]))
                continue;
            if (c->bars && !axis_usable(&ax, s[k].x[i + 1]))
                continue;
            points++;
            xlo = fmin(xlo, s[k].x[i]);
            xhi = fmax(xhi, c->bars ? s[k].x[i + 1] : s[k].x[i]);
            ylo = fmin(ylo, s[k].y[i]);
            yhi = fmax(yhi, s[k].y[i]);
        }
    fprintf(f, "<figure class=\"chart\"><svg id=\"%s\" class=\"chart\" role=\"img\" "
               "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" data-points=\"%zu\" "
               "aria-label=\"",
            c->id, SVG_W, SVG_H, SVG_W, SVG_H, points);
    results_xml_escape(f, c->title);
    fprintf(f, "\"><text class=\"ctitle\" x=\"%.1f\" y=\"16\">", SVG_L - 60);
    results_xml_escape(f, c->title);
    fprintf(f, "</text>\n");
    if (!points) {
        fprintf(f, "<text class=\"nodata\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data "
                   "points in this run</text></svg></figure>\n",
                SVG_W / 2, SVG_H / 2);
        return;
    }
    axis_fit(&ax, xlo, xhi);
    axis_fit(&ay, ylo, yhi);
    draw_axes(f, c, &ax, &ay);
    for (size_t k = 0; k < ns; k++) {
        const char *colour = svg_colours[k % SVG_NCOLOURS];
        if (c->bars)
            draw_bars(f, c, &ax, &ay, &s[k], colour);
        else
            draw_line(f, c, &ax, &ay, &s[k], colour, k % 2); /* dashes show overlapping lines */
    }
    for (size_t m = 0; m < c->nmarks; m++) {
        if (!axis_usable(&ax, c->marks[m]))
            continue;
        double x = px(&ax, c->marks[m]);
        fprintf(f, "<line class=\"mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"marklabel\" x=\"%.1f\" y=\"%.1f\">",
                x, SVG_T, x, SVG_H - SVG_B, x + 3, SVG_T + 10 + 11.0 * (double)(m % 3));
        results_xml_escape(f, c->mark_labels[m]);
        fprintf(f, "</text>\n");
    }
    fprintf(f, "</svg>");
    if (ns > 1 || (ns == 1 && !c->bars)) {
        fprintf(f, "<figcaption>");
        for (size_t k = 0; k < ns; k++) {
            fprintf(f, "<span class=\"key\"><i style=\"background:%s\"></i>",
                    svg_colours[k % SVG_NCOLOURS]);
            results_xml_escape(f, s[k].name);
            fprintf(f, "</span> ");
        }
        fprintf(f, "</figcaption>");
    }
    fprintf(f, "</figure>\n");
}

/* ---- the fault timeline ---- */

#define TL_W 960.0
#define TL_LABEL 200.0 /* the scenario names' column */
#define TL_LANE 30.0
#define TL_TOP 8.0
#define TL_AXIS 34.0

static const char *event_colour(const char *kind)
{
    if (!strcmp(kind, "inject"))
        return "#dc2626";
    if (!strcmp(kind, "heal"))
        return "#059669";
    if (!strcmp(kind, "detected"))
        return "#d97706";
    if (!strcmp(kind, "recovered"))
        return "#2563eb";
    return "#6b7280";
}

static void event_mark(FILE *f, double x, double yc, const results_svg_event *e)
{
    const char *col = event_colour(e->kind);
    if (!strcmp(e->kind, "inject"))
        fprintf(f, "<path class=\"ev\" d=\"M%.1f %.1f l-5 -8 h10 z\" fill=\"%s\">", x, yc, col);
    else if (!strcmp(e->kind, "heal"))
        fprintf(f, "<path class=\"ev\" d=\"M%.1f %.1f l-5 8 h10 z\" fill=\"%s\">", x, yc, col);
    else if (!strcmp(e->kind, "detected") || !strcmp(e->kind, "recovered"))
        fprintf(f, "<circle class=\"ev\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\">", x, yc,
                col);
    else
        fprintf(f, "<rect class=\"ev\" x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"14\" fill=\"%s\">",
                x - 1, yc - 7, col);
    fprintf(f, "<title>%.3f s ", e->t);
    results_xml_escape(f, e->kind);
    fprintf(f, ": ");
    results_xml_escape(f, e->detail);
    fprintf(f, "</title>%s\n",
            !strcmp(e->kind, "detected") || !strcmp(e->kind, "recovered") ? "</circle>"
            : !strcmp(e->kind, "inject") || !strcmp(e->kind, "heal")      ? "</path>"
                                                                           : "</rect>");
}

void results_svg_timeline(FILE *f, const char *id, const results_svg_lane *lanes, size_t n)
{
    double tmax = 0;
    size_t events = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < lanes[i].nev; k++) {
            if (isfinite(lanes[i].ev[k].t) && lanes[i].ev[k].t > tmax)
                tmax = lanes[i].ev[k].t;
            events++;
        }
    double h = TL_TOP + TL_LANE * (double)(n ? n : 1) + TL_AXIS;
    fprintf(f, "<figure class=\"chart\"><svg id=\"%s\" class=\"chart timeline\" role=\"img\" "
               "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" data-points=\"%zu\" "
               "aria-label=\"fault timeline\">\n",
            id, TL_W, h, TL_W, h, events);
    if (!events) {
        fprintf(f, "<text class=\"nodata\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no fault "
                   "events in this run</text></svg></figure>\n",
                TL_W / 2, h / 2);
        return;
    }
    svg_axis ax = {0};
    axis_fit(&ax, 0, tmax);
    double x0 = TL_LABEL, w = TL_W - TL_LABEL - 16;
#define TLX(t) (x0 + ((t) - ax.lo) / (ax.hi - ax.lo) * w)
    double ticks[SVG_MAX_TICKS];
    size_t nt = axis_ticks(&ax, ticks);
    double ybot = TL_TOP + TL_LANE * (double)n;
    for (size_t i = 0; i < nt; i++)
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g s</text>\n",
                TLX(ticks[i]), TL_TOP, TLX(ticks[i]), ybot, TLX(ticks[i]), ybot + 16, ticks[i]);
    for (size_t i = 0; i < n; i++) {
        const results_svg_lane *l = &lanes[i];
        double yt = TL_TOP + TL_LANE * (double)i, yc = yt + TL_LANE / 2;
        fprintf(f, "<g class=\"lane%s\"><rect class=\"laneback\" x=\"%.1f\" y=\"%.1f\" "
                   "width=\"%.1f\" height=\"%.1f\"/>"
                   "<text class=\"lanename\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                l->failed ? " failed" : "", x0, yt + 2, w, TL_LANE - 4, x0 - 8, yc + 4);
        results_xml_escape(f, l->name);
        fprintf(f, "%s</text>\n", l->failed ? " (FAIL)" : "");
        double lane_end = 0;
        for (size_t k = 0; k < l->nev; k++)
            if (isfinite(l->ev[k].t) && l->ev[k].t > lane_end)
                lane_end = l->ev[k].t;
        /* each fault's window: an inject up to the next heal (or the lane's end) */
        for (size_t k = 0; k < l->nev; k++) {
            if (strcmp(l->ev[k].kind, "inject") || !isfinite(l->ev[k].t))
                continue;
            double end = lane_end;
            for (size_t j = k + 1; j < l->nev; j++)
                if (!strcmp(l->ev[j].kind, "heal")) {
                    end = l->ev[j].t;
                    break;
                }
            fprintf(f, "<rect class=\"window\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                       "height=\"%.1f\"><title>fault from %.3f s to %.3f s: ",
                    TLX(l->ev[k].t), yt + 4, fmax(TLX(end) - TLX(l->ev[k].t), 1.0), TL_LANE - 8,
                    l->ev[k].t, end);
            results_xml_escape(f, l->ev[k].detail);
            fprintf(f, "</title></rect>\n");
        }
        fprintf(f, "<line class=\"laneline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                TLX(0), yc, TLX(lane_end), yc);
        for (size_t k = 0; k < l->nev; k++)
            if (isfinite(l->ev[k].t))
                event_mark(f, TLX(l->ev[k].t), yc, &l->ev[k]);
        fprintf(f, "</g>\n");
    }
#undef TLX
    fprintf(f, "<text class=\"axislabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">seconds "
               "from the scenario's start</text></svg>"
               "<figcaption><span class=\"key\"><i style=\"background:#dc2626\"></i>fault "
               "injected</span> <span class=\"key\"><i style=\"background:#059669\"></i>healed"
               "</span> <span class=\"key\"><i style=\"background:#d97706\"></i>detected</span> "
               "<span class=\"key\"><i style=\"background:#2563eb\"></i>recovered</span> "
               "<span class=\"key\"><i style=\"background:#fecaca\"></i>fault window</span>"
               "</figcaption></figure>\n",
            x0 + w / 2, ybot + 30);
}
