"""Reading ledgers as schools send them. Only this package knows Chinese headers,
title rows, merged cells, encodings and date spellings."""
