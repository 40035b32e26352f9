# Version check for find_package(libuv X.Y): rsuv implements libuv 1.52.1 and, like libuv's
# package (SameMajorVersion), satisfies any request for 1.x up to 1.52.1.
set(PACKAGE_VERSION "1.52.1")
if(PACKAGE_FIND_VERSION_MAJOR STREQUAL "" OR
   (PACKAGE_FIND_VERSION_MAJOR EQUAL 1 AND NOT PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION))
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
else()
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
