"""Legacy protocol readers: polite HTTP, safe XML, paging and fan-in; the STA, SOS 2.0 and SPS 2.0 sources."""
