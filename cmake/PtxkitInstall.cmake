# cmake --install: headers, libptxkit (shared and static), a CMake package
# (find_package(ptxkit) -> ptxkit::ptxkit, ptxkit::shared, ptxkit::static)
# and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS ptxkit_shared ptxkit_static EXPORT ptxkitTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/ptxkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/include/ptxkit/version.hpp" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ptxkit)
install(EXPORT ptxkitTargets NAMESPACE ptxkit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ptxkit)

configure_package_config_file(cmake/ptxkitConfig.cmake.in "${PROJECT_BINARY_DIR}/ptxkitConfig.cmake"
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ptxkit)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/ptxkitConfigVersion.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/ptxkitConfig.cmake" "${PROJECT_BINARY_DIR}/ptxkitConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ptxkit)

configure_file(cmake/ptxkit.pc.in "${PROJECT_BINARY_DIR}/ptxkit.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/ptxkit.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(PTXKIT_BUILD_TOOLS)
  install(TARGETS ptxkit-info RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
