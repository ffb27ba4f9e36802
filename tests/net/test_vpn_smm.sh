#!/usr/bin/env bash
# The daemons' VPN with ARP/ND carried by SMM (structured overlay, topology
# module) instead of TLFM: test_vpn_overlay.sh up to the pings and the path.
VPN_BROADCAST=smm exec bash "$(dirname "$0")/test_vpn_overlay.sh"
