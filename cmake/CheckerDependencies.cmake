# Every dependency comes from Debian 12's packages (see .ci/install-deps).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
find_package(CapnProto 0.9 CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
# Debian's libhttp-parser-dev (the parser beside libuv in Node): no
# pkg-config file, so found by its header and library.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(checker_http_parser INTERFACE)
target_include_directories(checker_http_parser INTERFACE ${HTTP_PARSER_INCLUDE_DIR})
target_link_libraries(checker_http_parser INTERFACE ${HTTP_PARSER_LIBRARY})
# Debian's nlohmann-json3-dev (header-only): every JSON the project writes
# or reads. Its writer refuses invalid UTF-8 instead of emitting it, and its
# reader is a full RFC 8259 parser, which two hand-written ones were not.
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
# Debian's libhowardhinnant-date-dev: time zones ([maintenance NAME]
# timezone) read from the system's tzdata (/usr/share/zoneinfo) by its
# libdate-tz. It is the library C++20's <chrono> time zones were made from;
# GCC 12's libstdc++ (Debian 12) has no std::chrono::tzdb yet.
find_package(date CONFIG REQUIRED)
