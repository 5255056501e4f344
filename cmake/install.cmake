set(LOYALTY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/loyalty)

install(
  TARGETS loyalty
  EXPORT loyaltyTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/loyalty DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET loyalty_cli)
  install(TARGETS loyalty_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(
  EXPORT loyaltyTargets
  NAMESPACE loyalty::
  DESTINATION ${LOYALTY_CMAKE_DIR})
configure_package_config_file(cmake/loyaltyConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/loyaltyConfig.cmake
                              INSTALL_DESTINATION ${LOYALTY_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/loyaltyConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/loyaltyConfig.cmake
              ${PROJECT_BINARY_DIR}/loyaltyConfigVersion.cmake DESTINATION ${LOYALTY_CMAKE_DIR})
install(FILES LICENSE README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
