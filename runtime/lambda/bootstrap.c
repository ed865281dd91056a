/*
 * bootstrap.c - the Lambda custom runtime's executable (provided.al2023 runs /var/task/bootstrap).
 * Init once (handler.h: config, S3 client, model, context), report a failure to /runtime/init/error,
 * then serve invocations until the Runtime API answers 500. docs/lambda-runtime.md has the lifecycle.
 */
#include "handler.h"
#include "log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* a peer closing a socket is an error to report, not a reason to die */
    u2_log_level level;
    if (u2_log_level_parse(getenv("AWS_LAMBDA_LOG_LEVEL"), &level)) u2_log_set_level(level);

    u2_runtime_api *api;
    if (u2_runtime_api_new(NULL, &api) != U2NET_OK) {
        fprintf(stderr, "bootstrap: %s\n", u2net_last_error());
        return 1;
    }
    u2_handler *h;
    const char *error_type;
    if (u2_handler_init(NULL, &h, &error_type) != U2NET_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", u2net_last_error());
        u2_log_error(1, NULL, NULL, NULL, NULL, error_type, msg);
        if (u2_runtime_api_init_error(api, error_type, msg) != U2NET_OK)
            u2_log_error(1, NULL, NULL, NULL, NULL, "Runtime.PostError", u2net_last_error());
        u2_runtime_api_free(api);
        return 1;
    }
    int rc = u2_serve(api, h, 0);
    u2_handler_free(h);
    u2_runtime_api_free(api);
    return rc;
}
