"""The big screen (大屏): the county's load on the map, the live queues of every task kind, the ranking's
top and bottom. Its figure tiles and trends are the capabilities' own figures endpoints, read by the page."""
