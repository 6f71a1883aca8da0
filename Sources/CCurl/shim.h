#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
// Debian's libcurl4-openssl-dev, found through pkg-config `libcurl`. Mailer uses its SMTP client.
//
// curl_easy_setopt and curl_easy_getinfo are C variadic functions, which Swift can't call. These
// typed wrappers fix each argument type, so the compiler checks what the varargs call never would.
#include <curl/curl.h>

/// Sets an option that takes a `long` (flags, timeouts, CURLUSESSL_*).
static inline CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// Sets an option that takes a C string; libcurl copies it.
static inline CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Sets an option that takes a string list (CURLOPT_MAIL_RCPT); the list must outlive the transfer.
static inline CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Sets an option that takes an opaque pointer (CURLOPT_READDATA, CURLOPT_XFERINFODATA, CURLOPT_ERRORBUFFER).
static inline CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// The upload callback's C type: fill `buffer` with at most `size * count` bytes, return how many.
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t count, void *userdata);

/// Sets CURLOPT_READFUNCTION.
static inline CURLcode ccurl_setopt_read_function(CURL *handle, ccurl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

/// The progress callback's C type: return non-zero to abort the transfer.
typedef int (*ccurl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

/// Sets CURLOPT_XFERINFOFUNCTION (and turns progress reporting on, which it needs).
static inline CURLcode ccurl_setopt_xferinfo_function(CURL *handle, ccurl_xferinfo_callback callback) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}

/// Reads an info value that is a `long` (CURLINFO_RESPONSE_CODE: the last SMTP reply code).
static inline CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
