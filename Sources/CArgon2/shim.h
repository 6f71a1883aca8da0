#ifndef CARGON2_SHIM_H
#define CARGON2_SHIM_H
// Debian's libargon2-dev (the reference implementation by the Argon2 authors), found through
// pkg-config `libargon2`. Only the high-level argon2id_* calls are used by PasswordHashing.
#include <argon2.h>
#endif
