"""The ceiling of the surge benchmark: the product served with one bare insert view beside it."""
