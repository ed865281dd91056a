/*
 * s3_xml.h - a tiny, bounded reader of exactly what we need from S3's XML error bodies:
 *     <?xml ...?><Error><Code>AccessDenied</Code><Message>Access Denied</Message>...</Error>
 * Not a general XML parser: no DTDs, no entity definitions; predefined and numeric character
 * references are decoded. Linear in the input, no allocation. Fuzzed by fuzz/fuzz_s3xml.c.
 */
#ifndef U2_S3_XML_H
#define U2_S3_XML_H

#include "base.h"

/* Fill code and message (NUL-terminated, truncated to their capacities, whitespace trimmed, control
 * characters turned into spaces). U2NET_OK if <Error><Code> was found; U2NET_ERR_FORMAT otherwise
 * (then code and message are ""). Message is "" when absent. */
u2net_status u2_s3_xml_error(const void *body, size_t n, char *code, size_t code_cap, char *message, size_t msg_cap);

#endif
