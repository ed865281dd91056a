/* test_s3_xml.c - the S3 error body reader against Python's xml.etree.ElementTree on real-shaped S3
 * error documents, plus the cases a bounded reader must survive (truncation, hostile nesting, tiny
 * output buffers, character references, CDATA, comments, a DOCTYPE). */
#include "base.h"
#include "s3_xml.h"
#include "test.h"

static const char *VALID[] = {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
    "<RequestId>4442587FB7D0A2F9</RequestId><HostId>abc+def/ghi=</HostId></Error>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
    "</Message><Key>photos/my cat.jpg</Key><RequestId>1</RequestId></Error>",
    "<Error>\n  <Code>SlowDown</Code>\n  <Message>Please reduce your request rate.</Message>\n</Error>",
    "<Error><Message>first the message</Message><Code>InternalError</Code></Error>",
    "<Error><Code>X</Code><Message>a &amp; b &lt;c&gt; &quot;q&quot; &apos;s&apos; &#233; &#x1F600; &#65;</Message></Error>",
    "<Error><Code>X</Code><Message><![CDATA[raw <not a tag> & stuff]]></Message></Error>",
    "<!-- leading comment --><Error a=\"1\" b='2>3'><!-- c --><Code  >C1</Code ><Message>m</Message></Error>",
    "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature "
    "you provided. Check your key and signing method.</Message><StringToSign>AWS4-HMAC-SHA256\n20240101T000000Z"
    "</StringToSign></Error>",
    "<Error><Code>  padded  </Code><Message>\n\tmulti\nline\n</Message></Error>",
    "<Error><Code>OnlyCode</Code></Error>",
};

static void test_vs_elementtree(void) {
    const char *py = getenv("U2NET_PYTHON");
    if (!py || !*py) SKIP("U2NET_PYTHON not set");
    size_t n = sizeof VALID / sizeof VALID[0];
    char path[512];
    snprintf(path, sizeof path, "%s/s3xml_%s", test_tmp_dir(), "cases");
    char cmd[1500];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", path);
    REQUIRE(system(cmd) == 0, "mkdir");
    for (size_t i = 0; i < n; i++) {
        char f[600];
        snprintf(f, sizeof f, "%s/%zu.xml", path, i);
        FILE *fp = fopen(f, "wb");
        REQUIRE(fp, "write");
        fputs(VALID[i], fp);
        fclose(fp);
    }
    /* ElementTree: findtext, whitespace stripped, control characters as spaces (as ours), hex-encoded
     * UTF-8 so any byte survives the pipe */
    snprintf(cmd, sizeof cmd,
             "%s -c \"import xml.etree.ElementTree as E,re\n"
             "for i in range(%zu):\n r=E.parse('%s/%%d.xml'%%i).getroot()\n"
             " f=lambda t:re.sub('[\\\\x00-\\\\x1f\\\\x7f]',' ',r.findtext(t) or '').strip(' ').encode().hex() or '-'\n"
             " print(f('Code'),f('Message'))\"",
             py, n, path);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "python");
    for (size_t i = 0; i < n; i++) {
        char line[4096] = {0}, hc[1024], hm[3000];
        if (!fgets(line, sizeof line, p) || sscanf(line, "%1023s %2999s", hc, hm) != 2) {
            T_RECORD("python: no line for case %zu", i);
            break;
        }
        char want_c[512] = {0}, want_m[1500] = {0};
        for (size_t k = 0; hc[0] != '-' && hc[2 * k]; k++) sscanf(hc + 2 * k, "%2hhx", (unsigned char *)&want_c[k]);
        for (size_t k = 0; hm[0] != '-' && hm[2 * k]; k++) sscanf(hm + 2 * k, "%2hhx", (unsigned char *)&want_m[k]);
        char code[64], msg[512];
        u2net_status s = u2_s3_xml_error(VALID[i], strlen(VALID[i]), code, sizeof code, msg, sizeof msg);
        CHECK(s == U2NET_OK, "case %zu: %s", i, u2net_last_error());
        CHECK(strcmp(code, want_c) == 0 && strcmp(msg, want_m) == 0, "case %zu: got '%.100s' / '%.100s', ElementTree '%.100s' / '%.100s'",
              i, code, msg, want_c, want_m);
    }
    pclose(p);
}

static void test_rejects_and_bounds(void) {
    char code[16], msg[24];
    static const char *no_code[] = {
        "",
        "not xml at all",
        "<Error><Message>no code</Message></Error>",
        "<Other><Code>Nope</Code></Other>",                       /* Code only counts under <Error> */
        "<Error><Wrapper><Code>Nested</Code></Wrapper></Error>",  /* ... as a direct child */
        "<Error><Code>Cut",                                        /* truncated inside Code */
        "<Error><Code></Code></Error>",
        "<Error><Code/><Message>m</Message></Error>",
        "</Error>",
        "<Error><Code>X</Code",
        "<?xml never closed",
        "<!-- never closed",
        "<![CDATA[ never closed",
    };
    for (size_t i = 0; i < sizeof no_code / sizeof no_code[0]; i++) {
        strcpy(code, "junk");
        u2net_status s = u2_s3_xml_error(no_code[i], strlen(no_code[i]), code, sizeof code, msg, sizeof msg);
        CHECK(s == U2NET_ERR_FORMAT && code[0] == 0 && msg[0] == 0, "case %zu: status %d code '%s'", i, (int)s, code);
    }
    /* truncation into small buffers, never splitting a UTF-8 character */
    const char *longer = "<Error><Code>AVeryLongErrorCodeName</Code><Message>caf&#233;&#233;&#233;&#233;&#233;&#233;"
                         "&#233;&#233;&#233;&#233;&#233;&#233;</Message></Error>";
    CHECK(u2_s3_xml_error(longer, strlen(longer), code, sizeof code, msg, sizeof msg) == U2NET_OK, "%s", u2net_last_error());
    CHECK(strcmp(code, "AVeryLongErrorC") == 0, "code '%s'", code);
    CHECK(strlen(msg) == 23 && strncmp(msg, "caf\xc3\xa9", 5) == 0 && (unsigned char)msg[22] == 0xa9,
          "message '%s' (%zu bytes)", msg, strlen(msg));
    /* nesting bombs stop at a fixed depth; an unterminated tag ends the scan */
    static char deep[70000];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "<Error>");
    while (n + 3 < sizeof deep - 1) n += (size_t)snprintf(deep + n, sizeof deep - n, "<a>");
    CHECK(u2_s3_xml_error(deep, n, code, sizeof code, msg, sizeof msg) == U2NET_ERR_FORMAT &&
              strstr(u2net_last_error(), "deeper"),
          "deep nesting: %s", u2net_last_error());
    const char *bad_refs = "<Error><Code>A&#0;B&#xD800;C&#99999999;D&bogus;E&#x;F&</Code></Error>";
    CHECK(u2_s3_xml_error(bad_refs, strlen(bad_refs), code, sizeof code, msg, sizeof msg) == U2NET_OK &&
              strcmp(code, "A?B?C&#99999999") == 0,
          "bad references: '%s'", code);
    const char *doctype = "<!DOCTYPE Error [<!ENTITY x \"boom\">]><Error><Code>&x;</Code></Error>";
    CHECK(u2_s3_xml_error(doctype, strlen(doctype), code, sizeof code, msg, sizeof msg) == U2NET_OK && strcmp(code, "&x;") == 0,
          "entities are never expanded: '%s'", code);
    const char *ctl = "<Error><Code>A\x01" "B</Code><Message>line1\r\nline2</Message></Error>";
    CHECK(u2_s3_xml_error(ctl, strlen(ctl), code, sizeof code, msg, sizeof msg) == U2NET_OK && strcmp(code, "A B") == 0 &&
              strcmp(msg, "line1  line2") == 0,
          "control characters: '%s' '%s'", code, msg);
}

int main(void) {
    RUN(test_vs_elementtree);
    RUN(test_rejects_and_bounds);
    return test_done();
}
