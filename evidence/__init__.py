"""Evidence: photos and documents for any owner (an inspection today; a repair, a case, a proxy visit tomorrow).

Below the domain packages and above the core: ``evidence`` imports
``memorials`` and ``gis`` and never a domain package. A domain package
registers the owner types it attaches evidence to (``DomainPackage``'s
``attachment_owners``), and says there who may see them.
"""
