export {
  type JournalContractCase,
  type JournalContractSubject,
  journalContractCases,
} from './journal-contract.js';
