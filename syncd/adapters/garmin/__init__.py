"""Garmin Connect through the real `garminconnect` client (>= 0.3, curl_cffi; never garth)."""
