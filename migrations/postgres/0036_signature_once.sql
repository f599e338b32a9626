-- One signature per document per link: a double submit cannot leave two permanent rows.
CREATE UNIQUE INDEX investor_signatures_once ON investor_signatures (invitation_id, document);
