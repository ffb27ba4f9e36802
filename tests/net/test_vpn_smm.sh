#!/usr/bin/env bash
# The daemons' VPN with ARP/ND carried by SMM (structured overlay, topology
# module) instead of TLFM: six nodes on a plain Chord ring (topology
# "successors": 1, "fingers": 0), so A -> E is 3 overlay hops as in
# test_vpn_overlay.sh, up to the pings and the installed path.
VPN_BROADCAST=smm VPN_RING=1 exec bash "$(dirname "$0")/test_vpn_overlay.sh"
