#ifndef MF_CCURL_H
#define MF_CCURL_H

#include <stddef.h>

/// What one HTTP exchange came to. `body` is malloc'd (free it with mf_http_response_free).
typedef struct {
    /// The HTTP status code; 0 when there was no HTTP answer (see `error`).
    long status;
    /// The answer's body.
    char *body;
    size_t body_length;
    /// The value of the header named in the request's `wanted_header`, when the answer had it.
    char wanted_value[256];
    /// Why the exchange failed, as libcurl says; empty on success.
    char error[256];
} mf_http_response;

/// Sends one HTTP request through the system's libcurl, loaded with dlopen the first time a
/// request is made (so a program that never makes one never loads libcurl and its libraries).
/// `headers` holds `header_count` "Name: value" lines. Returns 0 when an answer came (any
/// status), -1 with `response->error` set otherwise (libcurl missing included).
int mf_http_request(const char *method, const char *url, const char *const *headers, size_t header_count,
                    const char *body, size_t body_length, long timeout_ms, const char *wanted_header,
                    mf_http_response *response);

/// Frees what mf_http_request allocated in `response`.
void mf_http_response_free(mf_http_response *response);

#endif
