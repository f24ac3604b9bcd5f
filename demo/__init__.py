"""The demo: claims for all five policies taken through their whole life (`claims demo`)."""
