/* dashboard_page: the live view, GET / (and /index.html): one
 * self-contained HTML page that subscribes to /ws/stream with the token from
 * its own query string and shows the sources, rates, last messages, gaps and
 * latency as they arrive. The page is dashboard_page.html beside this file,
 * embedded into the binary when it is built (the assembler's .incbin, run
 * from the top of the tree as make does), so the image ships nothing more.
 * It holds no secret: the token stays in the viewer's URL. */
#include "dashboard.h"

#include <string.h>

__asm__(".pushsection .rodata\n"
        ".balign 16\n"
        "dashboard_page_html:\n"
        ".incbin \"mock_server/dashboard/dashboard_page.html\"\n"
        "dashboard_page_html_end:\n"
        ".byte 0\n"
        ".popsection\n");
extern const char dashboard_page_html[];
extern const char dashboard_page_html_end[];

int dashboard_page_match(const char *uri)
{
    return !strcmp(uri, "/") || !strcmp(uri, "/index.html");
}

const char *dashboard_page(size_t *len)
{
    *len = (size_t)(dashboard_page_html_end - dashboard_page_html);
    return dashboard_page_html;
}
