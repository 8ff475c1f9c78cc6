"""Reading the sources ambassadors declared: RSS and Atom feeds (feedparser) and forum posts (Discourse), over HTTP."""
