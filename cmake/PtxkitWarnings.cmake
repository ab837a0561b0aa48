# Warnings (and sanitizers) for ptxkit's own host code. Third-party headers come
# in as SYSTEM includes through their imported targets and are not affected.
function(ptxkit_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                              -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wnull-dereference
                              -Wimplicit-fallthrough>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
  if(PTXKIT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(PTXKIT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${PTXKIT_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${PTXKIT_SANITIZE})
  endif()
endfunction()
