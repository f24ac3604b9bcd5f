#!/usr/bin/env bash
# The main job on the embedded default: demo claims for all five policies, taken through their life.
source "$(dirname "$0")/env.sh"
claims demo "$@"
