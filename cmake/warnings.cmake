# Strict warnings for the project's own targets only. This target is never exported or installed,
# so users of loyalty::loyalty do not inherit our warning flags.
add_library(loyalty_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(
    loyalty_warnings
    INTERFACE -Wall
              -Wextra
              -Wpedantic
              -Wconversion
              -Wsign-conversion
              -Wshadow
              -Wold-style-cast
              -Wnon-virtual-dtor
              -Woverloaded-virtual
              -Wcast-align
              -Wnull-dereference
              -Wimplicit-fallthrough)
  if(LOYALTY_WERROR)
    target_compile_options(loyalty_warnings INTERFACE -Werror)
  endif()
endif()
