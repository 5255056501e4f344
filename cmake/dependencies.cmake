# Every dependency comes from the system (Debian 12 packages); nothing is downloaded.
find_package(Boost 1.74 REQUIRED CONFIG)  # headers only: Boost.Multiprecision
find_package(fmt REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)
find_package(date REQUIRED CONFIG)  # Howard Hinnant's date, with the system tz database
find_package(Threads REQUIRED)  # the tool runs two simulations side by side (loyalty diff)

# yaml-cpp 0.7 exports `yaml-cpp`; 0.8 and later export `yaml-cpp::yaml-cpp`.
if(TARGET yaml-cpp::yaml-cpp)
  set(LOYALTY_YAML_TARGET yaml-cpp::yaml-cpp)
elseif(TARGET yaml-cpp)
  set(LOYALTY_YAML_TARGET yaml-cpp)
else()
  message(FATAL_ERROR "yaml-cpp was found but exports neither yaml-cpp nor yaml-cpp::yaml-cpp")
endif()
