# checker_warnings(TARGET): warnings are errors on our own code. Generated
# Cap'n Proto sources are compiled without -Werror (see ipc/CMakeLists.txt).
function(checker_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wformat=2
    -Wimplicit-fallthrough -Wundef)
endfunction()
