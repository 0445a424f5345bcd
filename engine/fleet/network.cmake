# dpopfleet_fleet: token cache, fleet minting, agent calls and run statistics over the
# Transport. Included by this folder's CMakeLists.txt in network builds only.
add_library(dpopfleet_fleet
  ${CMAKE_CURRENT_LIST_DIR}/agent_call.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fleet_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fleet_summary.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mint.cpp
  ${CMAKE_CURRENT_LIST_DIR}/token_cache.cpp)
target_include_directories(dpopfleet_fleet PUBLIC "${CMAKE_SOURCE_DIR}/include")
target_link_libraries(dpopfleet_fleet PUBLIC dpopfleet_oauth dpopfleet_signing dpopfleet_jose PRIVATE TBB::tbb)
if(TARGET dpopfleet_http)
  target_link_libraries(dpopfleet_fleet PUBLIC dpopfleet_http)
endif()
