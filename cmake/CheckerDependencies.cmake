# Every dependency comes from Debian 12's packages (see .ci/install-deps).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
find_package(CapnProto 0.9 CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
