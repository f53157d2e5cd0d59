#include "ccurl.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// libcurl's functions, found with dlsym once.
static struct {
    int loaded;
    char problem[200];
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
#ifdef __APPLE__
    const char *names[] = {"libcurl.4.dylib", "libcurl.dylib"};
#else
    const char *names[] = {"libcurl.so.4", "libcurl.so"};
#endif
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(curl.problem, sizeof curl.problem, "libcurl is not installed (%s)", names[0]);
        return;
    }
#define FIND(field, symbol)                                                                          \
    *(void **)(&curl.field) = dlsym(library, symbol);                                              \
    if (curl.field == NULL) {                                                                      \
        snprintf(curl.problem, sizeof curl.problem, "libcurl has no %s", symbol);                  \
        return;                                                                                    \
    }
    FIND(global_init, "curl_global_init")
    FIND(easy_init, "curl_easy_init")
    FIND(easy_setopt, "curl_easy_setopt")
    FIND(easy_perform, "curl_easy_perform")
    FIND(easy_getinfo, "curl_easy_getinfo")
    FIND(easy_cleanup, "curl_easy_cleanup")
    FIND(easy_strerror, "curl_easy_strerror")
    FIND(slist_append, "curl_slist_append")
    FIND(slist_free_all, "curl_slist_free_all")
#undef FIND
    // Not thread-safe in older libcurl: done once, here, under pthread_once.
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(curl.problem, sizeof curl.problem, "libcurl did not initialise");
        return;
    }
    curl.loaded = 1;
}

typedef struct {
    mf_http_response *response;
    const char *wanted;
    size_t wanted_length;
} exchange;

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    mf_http_response *response = ((exchange *)context)->response;
    size_t length = size * count;
    char *grown = realloc(response->body, response->body_length + length + 1);
    if (grown == NULL) return 0;  // libcurl fails the transfer
    memcpy(grown + response->body_length, data, length);
    response->body = grown;
    response->body_length += length;
    response->body[response->body_length] = 0;
    return length;
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    exchange *state = context;
    size_t length = size * count;
    if (state->wanted != NULL && length > state->wanted_length + 1 && data[state->wanted_length] == ':' &&
        strncasecmp(data, state->wanted, state->wanted_length) == 0) {
        size_t start = state->wanted_length + 1, end = length;
        while (start < end && (data[start] == ' ' || data[start] == '\t')) start++;
        while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n' || data[end - 1] == ' ')) end--;
        size_t copied = end - start < sizeof state->response->wanted_value - 1 ? end - start : sizeof state->response->wanted_value - 1;
        memcpy(state->response->wanted_value, data + start, copied);
        state->response->wanted_value[copied] = 0;
    }
    return length;
}

int mf_http_request(const char *method, const char *url, const char *const *headers, size_t header_count,
                    const char *body, size_t body_length, long timeout_ms, const char *wanted_header,
                    mf_http_response *response) {
    memset(response, 0, sizeof *response);
    pthread_once(&load_once, load);
    if (!curl.loaded) {
        snprintf(response->error, sizeof response->error, "%s", curl.problem);
        return -1;
    }
    CURL *handle = curl.easy_init();
    if (handle == NULL) {
        snprintf(response->error, sizeof response->error, "libcurl could not make a request");
        return -1;
    }
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++) list = curl.slist_append(list, headers[i]);
    char problem[CURL_ERROR_SIZE] = {0};
    exchange state = {response, wanted_header, wanted_header ? strlen(wanted_header) : 0};
    curl.easy_setopt(handle, CURLOPT_URL, url);
    curl.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, problem);
    curl.easy_setopt(handle, CURLOPT_HTTPHEADER, list);
    curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl.easy_setopt(handle, CURLOPT_WRITEDATA, &state);
    curl.easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl.easy_setopt(handle, CURLOPT_HEADERDATA, &state);
    if (body != NULL) {
        curl.easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
        curl.easy_setopt(handle, CURLOPT_POSTFIELDS, body);
    }
    if (method != NULL) curl.easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
    CURLcode code = curl.easy_perform(handle);
    int result = 0;
    if (code == CURLE_OK) {
        curl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response->status);
    } else {
        snprintf(response->error, sizeof response->error, "%s", problem[0] ? problem : curl.easy_strerror(code));
        result = -1;
    }
    curl.slist_free_all(list);
    curl.easy_cleanup(handle);
    return result;
}

void mf_http_response_free(mf_http_response *response) {
    free(response->body);
    response->body = NULL;
    response->body_length = 0;
}
